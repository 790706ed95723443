/** Health settings are input: each bad value is refused naming its field; defaults are filled. */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError, checkHealthSpec, checkHealthTable, checkQuorumSpec } from '../../lib';

function refused(run: () => unknown, field: string, value?: unknown): IpvsValidationError {
  let err: unknown = null;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IpvsValidationError);
  const v = err as IpvsValidationError;
  expect(v.field).toBe(field);
  if (arguments.length > 2) expect(v.value).toEqual(value);
  expect(v.message.startsWith(`${field}: expected `)).toBe(true);
  return v;
}

describe('checkHealthSpec', () => {
  it('fills every default for { type: tcp }', () => {
    expect(checkHealthSpec({ type: 'tcp' }, 'check')).toEqual({
      type: 'tcp', interval: 5000, timeout: 5000, retries: 1, retryDelay: 1000, rise: 1, fall: 1, warmup: 5000,
      alpha: false, inhibitOnFailure: false,
    });
  });

  it('takes durations as milliseconds or text, and caps the default timeout at the interval', () => {
    const s = checkHealthSpec({ type: 'tcp', interval: '1s', retryDelay: '250ms', warmup: '1.5s' }, 'check');
    expect([s.interval, s.timeout, s.retryDelay, s.warmup]).toEqual([1000, 1000, 250, 1500]);
    expect(checkHealthSpec({ type: 'tcp', interval: '2m' }, 'c').interval).toBe(120_000);
  });

  it('fills http, https, dns and exec settings', () => {
    expect(checkHealthSpec({ type: 'http' }, 'c').http).toEqual({ path: '/', status: ['200-299'] });
    expect(checkHealthSpec({ type: 'https', http: { status: [200, '301-302', '404'] } }, 'c').http)
      .toEqual({ path: '/', status: [200, '301-302', 404], verify: false });
    expect(checkHealthSpec({ type: 'dns', dns: { type: 'a', name: 'example.org' } }, 'c').dns).toEqual({ type: 'A', name: 'example.org' });
    expect(checkHealthSpec({ type: 'dns' }, 'c').dns).toEqual({ type: 'SOA', name: '.' });
    expect(checkHealthSpec({ type: 'exec', exec: { command: ['/bin/true', '{address}'] } }, 'c').exec)
      .toEqual({ command: ['/bin/true', '{address}'], dynamicWeight: false });
  });

  it('accepts a custom type only when named, with its settings copied', () => {
    refused(() => checkHealthSpec({ type: 'mycheck' }, 'c'), 'c.type', 'mycheck');
    const s = checkHealthSpec({ type: 'mycheck', settings: { depth: 2, names: ['a'] } }, 'c', { customTypes: ['mycheck'] });
    expect(s.settings).toEqual({ depth: 2, names: ['a'] });
  });

  it.each<[string, unknown, string, unknown]>([
    ['not an object', 'tcp', 'c', 'tcp'],
    ['unknown type', { type: 'icmp' }, 'c.type', 'icmp'],
    ['missing type', {}, 'c.type', undefined],
    ['unknown key', { type: 'tcp', delay_loop: 5 }, 'c.delay_loop', 5],
    ['__proto__ key', JSON.parse('{"type":"tcp","__proto__":{"x":1}}'), 'c.__proto__', { x: 1 }],
    ['constructor key', { type: 'tcp', constructor: 1 }, 'c.constructor', 1],
    ['toString key', { type: 'tcp', toString: 'x' }, 'c.toString', 'x'],
    ['type toString', { type: 'toString' }, 'c.type', 'toString'],
    ['interval too short', { type: 'tcp', interval: 5 }, 'c.interval', 5],
    ['interval over a day', { type: 'tcp', interval: '2d' }, 'c.interval', '2d'],
    ['interval fractional', { type: 'tcp', interval: 1.5 }, 'c.interval', 1.5],
    ['interval bad unit', { type: 'tcp', interval: '1 sec' }, 'c.interval', '1 sec'],
    ['timeout over interval', { type: 'tcp', interval: 1000, timeout: 2000 }, 'c.timeout', 2000],
    ['timeout 0', { type: 'tcp', timeout: 0 }, 'c.timeout', 0],
    ['retries negative', { type: 'tcp', retries: -1 }, 'c.retries', -1],
    ['retries too many', { type: 'tcp', retries: 101 }, 'c.retries', 101],
    ['rise 0', { type: 'tcp', rise: 0 }, 'c.rise', 0],
    ['fall as text', { type: 'tcp', fall: '2' }, 'c.fall', '2'],
    ['alpha not boolean', { type: 'tcp', alpha: 'yes' }, 'c.alpha', 'yes'],
    ['inhibit not boolean', { type: 'tcp', inhibitOnFailure: 1 }, 'c.inhibitOnFailure', 1],
    ['target address bad', { type: 'tcp', target: { address: 'host' } }, 'c.target.address', 'host'],
    ['target port 0', { type: 'tcp', target: { port: 0 } }, 'c.target.port', 0],
    ['target empty', { type: 'tcp', target: {} }, 'c.target', {}],
    ['target unknown key', { type: 'tcp', target: { ip: '192.0.2.1' } }, 'c.target.ip', '192.0.2.1'],
    ['http settings on tcp', { type: 'tcp', http: {} }, 'c.http', {}],
    ['exec settings on http', { type: 'http', exec: { command: ['x'] } }, 'c.exec', { command: ['x'] }],
    ['settings on a built-in', { type: 'tcp', settings: {} }, 'c.settings', {}],
    ['path without slash', { type: 'http', http: { path: 'health' } }, 'c.http.path', 'health'],
    ['path with a blank', { type: 'http', http: { path: '/a b' } }, 'c.http.path', '/a b'],
    ['path with CRLF', { type: 'http', http: { path: '/\r\nX: y' } }, 'c.http.path', '/\r\nX: y'],
    ['status empty', { type: 'http', http: { status: [] } }, 'c.http.status', []],
    ['status 600', { type: 'http', http: { status: [600] } }, 'c.http.status[0]', 600],
    ['status range reversed', { type: 'http', http: { status: [200, '299-200'] } }, 'c.http.status[1]', '299-200'],
    ['status range text', { type: 'http', http: { status: ['2xx'] } }, 'c.http.status[0]', '2xx'],
    ['body bad regex', { type: 'http', http: { body: '(' } }, 'c.http.body', '('],
    ['host with CRLF', { type: 'http', http: { host: 'a\r\nb' } }, 'c.http.host', 'a\r\nb'],
    ['sni on http', { type: 'http', http: { sni: 'a.example' } }, 'c.http.sni', 'a.example'],
    ['sni an address', { type: 'https', http: { sni: '192.0.2.1' } }, 'c.http.sni', '192.0.2.1'],
    ['verify text', { type: 'https', http: { verify: 'true' } }, 'c.http.verify', 'true'],
    ['ca not PEM', { type: 'https', http: { verify: true, ca: 'abc' } }, 'c.http.ca', 'abc…'],
    ['dns type unknown', { type: 'dns', dns: { type: 'ANY' } }, 'c.dns.type', 'ANY'],
    ['dns name bad', { type: 'dns', dns: { name: 'a..b' } }, 'c.dns.name', 'a..b'],
    ['exec without settings', { type: 'exec' }, 'c.exec', undefined],
    ['exec command empty', { type: 'exec', exec: { command: [] } }, 'c.exec.command', []],
    ['exec command a string', { type: 'exec', exec: { command: 'true' } }, 'c.exec.command', 'true'],
    ['exec arg not a string', { type: 'exec', exec: { command: ['x', 1] } }, 'c.exec.command[1]', 1],
    ['exec arg with NUL', { type: 'exec', exec: { command: ['x', 'a\0b'] } }, 'c.exec.command[1]', 'a\0b'],
    ['exec program empty', { type: 'exec', exec: { command: [''] } }, 'c.exec.command[0]', ''],
    ['dynamicWeight text', { type: 'exec', exec: { command: ['x'], dynamicWeight: 'yes' } }, 'c.exec.dynamicWeight', 'yes'],
  ])('refuses %s', (_name, input, field, value) => {
    refused(() => checkHealthSpec(input, 'c', { customTypes: [] }), field, value);
  });

  it('refuses a custom settings value that is not data', () => {
    refused(() => checkHealthSpec({ type: 'x', settings: { f: () => 1 } }, 'c', { customTypes: ['x'] }), 'c.settings.f');
    refused(() => checkHealthSpec({ type: 'x', settings: { n: NaN } }, 'c', { customTypes: ['x'] }), 'c.settings.n');
  });

  it('ignores inherited (polluted) properties', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.interval = 1;
    proto.http = { path: 'bad' };
    try {
      expect(checkHealthSpec({ type: 'http' }, 'c')).toMatchObject({ interval: 5000, http: { path: '/' } });
    } finally {
      delete proto.interval;
      delete proto.http;
    }
  });
});

describe('checkQuorumSpec', () => {
  it('fills defaults', () => {
    expect(checkQuorumSpec(undefined, 'q')).toEqual({ min: 1, hysteresis: 0, sorryServerInhibit: false });
  });
  it.each<[string, unknown, string, unknown]>([
    ['min negative', { min: -1 }, 'q.min', -1],
    ['hysteresis >= min', { min: 2, hysteresis: 2 }, 'q.hysteresis', 2],
    ['sorry server bad', { sorryServer: { address: '192.0.2.1' } }, 'q.sorryServer.port', undefined],
    ['sorry forwarding bad', { sorryServer: { address: '192.0.2.9', port: 80 }, sorryServerForwarding: 'local' }, 'q.sorryServerForwarding', 'local'],
    ['inhibit without sorry server', { sorryServerInhibit: true }, 'q.sorryServerInhibit', true],
  ])('refuses %s', (_name, input, field, value) => {
    refused(() => checkQuorumSpec(input, 'q'), field, value);
  });
});

describe('checkHealthTable', () => {
  const svc = { protocol: 'tcp', address: '2001:db8:0::10', port: 80 };
  it('canonicalizes keys and fills weights and quorum', () => {
    const t = checkHealthTable({ services: [{ service: svc, destinations: [{ destination: { address: '2001:db8::0:11', port: 80 }, check: { type: 'tcp' } }] }] });
    expect(t.services[0].service).toEqual({ protocol: 'tcp', address: '2001:db8::10', port: 80 });
    expect(t.services[0].destinations[0]).toMatchObject({ destination: { address: '2001:db8::11', port: 80 }, weight: 1 });
    expect(t.services[0].quorum).toEqual({ min: 1, hysteresis: 0, sorryServerInhibit: false });
  });
  it.each<[string, unknown, string]>([
    ['no services', {}, 'health.services'],
    ['service twice', { services: [{ service: svc, destinations: [] }, { service: { ...svc, address: '2001:db8::10' }, destinations: [] }] }, 'health.services[1].service'],
    ['destination twice', { services: [{ service: svc, destinations: [
      { destination: { address: '192.0.2.1', port: 80 }, check: { type: 'tcp' } },
      { destination: { address: '192.0.2.1', port: 80 }, check: { type: 'tcp' } }] }] }, 'health.services[0].destinations[1].destination'],
    ['bad weight', { services: [{ service: svc, destinations: [{ destination: { address: '192.0.2.1', port: 80 }, weight: -1, check: { type: 'tcp' } }] }] }, 'health.services[0].destinations[0].weight'],
    ['bad check', { services: [{ service: svc, destinations: [{ destination: { address: '192.0.2.1', port: 80 }, check: { type: 'tcp', rise: 0 } }] }] }, 'health.services[0].destinations[0].check.rise'],
    ['hole', { services: [, { service: svc }] }, 'health.services[0]'],
    ['sorry server is a real server', { services: [{ service: svc, quorum: { sorryServer: { address: '192.0.2.1', port: 80 } },
      destinations: [{ destination: { address: '192.0.2.1', port: 80 }, check: { type: 'tcp' } }] }] }, 'health.services[0].quorum.sorryServer'],
  ])('refuses %s', (_name, input, field) => {
    refused(() => checkHealthTable(input), field);
  });
});
