/**
 * The config file's health checks, quorum and `director:` section: each field read into the
 * HealthTable and DirectorSettings, each bad one a problem at its line and column naming the
 * field where it was written (a service's block or a destination's), keepalived's words pointed
 * at ours.
 */
import { describe, expect, it } from 'vitest';
import { IpvsConfigError, parseConfig, type ConfigProblem } from '../../lib';

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfig(text, { format: 'yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(IpvsConfigError);
    return [...(err as IpvsConfigError).problems];
  }
  throw new Error('parsed without a problem');
}

/** A service at line 2 with `health` lines from line 4 (column 7), quorum at line 12, one destination with `dest` lines from line 17 (column 11). */
const file = (health: string, dest = '', quorum = '') => [
  'services:',
  '  - service: tcp 203.0.113.10:80',
  '    health:',
  ...health.split('\n').map((l) => `      ${l}`),
  ...Array.from({ length: 8 - health.split('\n').length }, () => '      # -'),
  quorum ? `    quorum: ${quorum}` : '    # -',
  '    destinations:',
  '      - server: 203.0.113.11',
  '        weight: 2',
  ...(dest ? ['        health:', ...dest.split('\n').map((l) => `          ${l}`)] : []),
  '      - server: 203.0.113.12',
].join('\n') + '\n';

const S = 'services[0]';
const D0 = 'services[0].destinations[0]';

describe('config health: good fields', () => {
  it('reads a service block merged under each destination; durations; every check type', () => {
    const c = parseConfig(file('type: http\npath: /ok\nstatus: [200, 300-399]\ninterval: 1s\ntimeout: 250ms\nrise: 2\nfall: 3\nretryDelay: 2', 'target: { address: 192.0.2.11, port: 8080 }\nbody: ok'));
    const [svc] = c.health.services;
    expect(svc.service).toEqual({ protocol: 'tcp', address: '203.0.113.10', port: 80 });
    expect(svc.destinations.map((d) => [d.destination.address, d.weight])).toEqual([['203.0.113.11', 2], ['203.0.113.12', 1]]);
    expect(svc.destinations[0].check).toMatchObject({
      type: 'http', interval: 1000, timeout: 250, rise: 2, fall: 3, retryDelay: 2, target: { address: '192.0.2.11', port: 8080 },
      http: { path: '/ok', status: [200, '300-399'], body: 'ok' },
    });
    // The second destination has the service's block alone.
    expect(svc.destinations[1].check.target).toBeUndefined();
    expect(svc.destinations[1].check.http?.body).toBeUndefined();
  });

  it.each([
    ['tcp', 'type: tcp\nwarmup: 2m\nalpha: true\ninhibitOnFailure: true', { type: 'tcp', warmup: 120_000, alpha: true, inhibitOnFailure: true }],
    ['https', 'type: https\nsni: www.example.com\nverify: false\nhost: www.example.com', { http: { sni: 'www.example.com', verify: false, host: 'www.example.com' } }],
    ['dns', 'type: dns\nquery: { type: a, name: example.com }', { dns: { type: 'A', name: 'example.com' } }],
    ['exec', 'type: exec\ncommand: [/bin/check, "{address}"]\ndynamicWeight: true', { exec: { command: ['/bin/check', '{address}'], dynamicWeight: true } }],
    ['none', 'type: none', { type: 'none' }],
  ])('type %s', (_name, health, expected) => {
    expect(parseConfig(file(health)).health.services[0].destinations[0].check).toMatchObject(expected);
  });

  it('quorum with a sorry server (the service port when none is written), and a service with no health not watched', () => {
    const c = parseConfig(`${file('type: tcp', '', '{ min: 2, hysteresis: 1, sorryServer: 192.0.2.99 }')}  - service: udp 203.0.113.10:53\n`);
    expect(c.health.services).toHaveLength(1);
    expect(c.health.services[0].quorum).toMatchObject({ min: 2, hysteresis: 1, sorryServer: { address: '192.0.2.99', port: 80 } });
  });

  it('a destination health alone watches every destination of its service (the others type none)', () => {
    const c = parseConfig('services:\n  - service: tcp 203.0.113.10:80\n    destinations:\n      - server: 203.0.113.11\n        health: { type: tcp }\n      - server: 203.0.113.12\n');
    expect(c.health.services[0].destinations.map((d) => d.check.type)).toEqual(['tcp', 'none']);
  });

  it('the director section, defaults filled; no section: defaults; rules text: no health', () => {
    const c = parseConfig('director:\n  resyncInterval: 2s\n  onStop: remove\n  drainTimeout: 1m\n  state: /var/lib/x.json\n  metrics: "[::1]:9475"\n  log: json\n  notify:\n    up: [/bin/hook, up]\n    quorumDown: [/bin/hook, qd]\nservices: []\n');
    expect(c.director).toEqual({
      resyncInterval: 2000, onStop: 'remove', drainTimeout: 60_000, state: '/var/lib/x.json', metrics: { host: '::1', port: 9475 }, log: 'json',
      notify: { up: ['/bin/hook', 'up'], quorumDown: ['/bin/hook', 'qd'] },
    });
    expect(parseConfig('services: []\n').director).toEqual({
      resyncInterval: 10_000, onStop: 'keep', drainTimeout: 300_000, state: null, metrics: false, log: 'text', notify: {},
    });
    expect(parseConfig('director:\n  metrics: false\n  log: text\nservices: []\n').director.metrics).toBe(false);
    const rules = parseConfig('-A -t 192.0.2.1:80 -s rr\n', { format: 'rules' });
    expect(rules.health).toEqual({ services: [] });
    expect(rules.director.onStop).toBe('keep');
  });
});

type Case = [string, string, string, string, number, number, string, RegExp];

describe('config health: each bad field at its line and column', () => {
  it.each<Case>([
    ['no type', 'interval: 1s', '', '', 4, 7, `${D0}.health.type`, /missing: the check type/],
    ['bad type', 'type: ping', '', '', 4, 13, `${S}.health.type`, /one of 'tcp'/],
    ['bad duration', 'type: tcp\ninterval: 1 sec', '', '', 5, 17, `${S}.health.interval`, /a duration/],
    ['negative duration', 'type: tcp\ninterval: -5', '', '', 5, 17, `${S}.health.interval`, /a duration/],
    ['timeout over interval', 'type: tcp\ninterval: 1s\ntimeout: 2s', '', '', 6, 16, `${S}.health.timeout`, /a duration from 1 ms to 1 s/],
    ['rise 0', 'type: tcp\nrise: 0', '', '', 5, 13, `${S}.health.rise`, /from 1 to/],
    ['alpha not boolean', 'type: tcp\nalpha: yes', '', '', 5, 14, `${S}.health.alpha`, /true or false/],
    ['http path', 'type: http\npath: nope', '', '', 5, 13, `${S}.health.path`, /starting with '\/'/],
    ['status code', 'type: http\nstatus: [200, 999]', '', '', 5, 21, `${S}.health.status[1]`, /from 100 to 599/],
    ['body regex', 'type: http\nbody: "(("', '', '', 5, 13, `${S}.health.body`, /regular expression/],
    ['http field on tcp', 'type: tcp\npath: /x', '', '', 5, 13, `${S}.health.path`, /no http settings: type is 'tcp'/],
    ['dns query type', 'type: dns\nquery: { type: BOGUS }', '', '', 5, 22, `${S}.health.query.type`, /one of A, AAAA/],
    ['dns query field', 'type: dns\nquery: { kind: A }', '', '', 5, 16, `${S}.health.query.kind`, /no such field/],
    ['exec no command', 'type: exec', '', '', 4, 7, `${D0}.health.command`, /missing: the command/],
    ['exec command empty', 'type: exec\ncommand: []', '', '', 5, 16, `${S}.health.command`, /program and its arguments/],
    ['destination target address', 'type: tcp', 'target: { address: nowhere }', '', 17, 30, `${D0}.health.target.address`, /IPv4 or IPv6/],
    ['destination target port', 'type: tcp', 'target: { port: 0 }', '', 17, 27, `${D0}.health.target.port`, /from 1 to 65535/],
    ['destination overrides with a bad value', 'type: tcp', 'fall: many', '', 17, 17, `${D0}.health.fall`, /integer/],
    ['destination health not a mapping', 'type: tcp', 'tcp', '', 17, 11, `${D0}.health`, /expected a health check/],
    ['unknown field', 'type: tcp\nfrequency: 1s', '', '', 5, 7, `${S}.health.frequency`, /no such field/],
    ['keepalived delay_loop', 'type: tcp\ndelay_loop: 6', '', '', 5, 7, `${S}.health.delay_loop`, /did you mean interval\?/],
    ['keepalived connect_timeout', 'type: tcp\nconnect_timeout: 3', '', '', 5, 7, `${S}.health.connect_timeout`, /did you mean timeout\?/],
    ['keepalived status_code', 'type: http\nstatus_code: 200', '', '', 5, 7, `${S}.health.status_code`, /did you mean status\?/],
    ['keepalived connect_ip', 'type: tcp', 'connect_ip: 192.0.2.1', '', 17, 11, `${D0}.health.connect_ip`, /did you mean target.address\?/],
    ['keepalived misc_path', 'type: exec\nmisc_path: /bin/x', '', '', 5, 7, `${S}.health.misc_path`, /did you mean command\?/],
    ['__proto__ field', 'type: tcp\n__proto__: 1', '', '', 5, 7, `${S}.health.__proto__`, /no such field/],
    ['quorum min', 'type: tcp', '', '{ min: -1 }', 12, 20, `${S}.quorum.min`, /integer/],
    ['quorum hysteresis >= min', 'type: tcp', '', '{ min: 2, hysteresis: 2 }', 12, 35, `${S}.quorum.hysteresis`, /from 0 to 1/],
    ['sorry server', 'type: tcp', '', '{ sorryServer: "[2001:db8::1" }', 12, 28, `${S}.quorum.sorryServer`, /\[IPV6\]:PORT/],
    ['sorry server address', 'type: tcp', '', '{ sorryServer: 192.0.2.300 }', 12, 28, `${S}.quorum.sorryServer.address`, /IPv4 or IPv6/],
    ['sorry server is a real server', 'type: tcp', '', '{ sorryServer: 203.0.113.11 }', 12, 28, `${S}.quorum.sorryServer`, /not one of the service's real servers|sorry/],
    ['keepalived sorry_server', 'type: tcp', '', '{ sorry_server: 192.0.2.9 }', 12, 15, `${S}.quorum.sorry_server`, /did you mean sorryServer\?/],
  ])('%s', (_name, health, dest, quorum, line, column, field, message) => {
    const problems = problemsOf(file(health, dest, quorum));
    expect(problems).toContainEqual({ line, column, field, message: expect.stringMatching(message) });
  });

  it('a service block is judged even with no destination to inherit it', () => {
    expect(problemsOf('services:\n  - service: tcp 203.0.113.10:80\n    health: { type: tcp, rise: 0 }\n')).toEqual([
      { line: 3, column: 32, field: 'services[0].health.rise', message: expect.stringMatching(/from 1 to/) },
    ]);
  });

  it('a bad value of the service block is reported once, not once per destination', () => {
    const problems = problemsOf(file('type: tcp\nrise: 0'));
    expect(problems.filter((p) => p.field === `${S}.health.rise`)).toHaveLength(1);
  });

  it('keepalived words at the service level point into health:, quorum: and director:', () => {
    const p = problemsOf('omega: true\nservices:\n  - service: tcp 203.0.113.10:80\n    delay_loop: 5\n    HTTP_GET: {}\n    sorry_server: 192.0.2.1\n');
    expect(p.map((x) => [x.line, x.column, x.message.match(/did you mean ([^?]+)\?/)?.[1]])).toEqual([
      [1, 1, 'director.onStop'], [4, 5, 'health.interval'], [5, 5, 'health'], [6, 5, 'quorum.sorryServer'],
    ]);
  });
});

describe('config director section: each bad field at its line and column', () => {
  const dir = (lines: string) => `director:\n${lines.split('\n').map((l) => `  ${l}`).join('\n')}\nservices: []\n`;
  it.each<[string, string, number, number, string, RegExp]>([
    ['resyncInterval', 'resyncInterval: 10 seconds', 2, 19, 'director.resyncInterval', /a duration/],
    ['resyncInterval too short', 'resyncInterval: 5ms', 2, 19, 'director.resyncInterval', /from 100 ms/],
    ['onStop', 'onStop: flush', 2, 11, 'director.onStop', /one of 'keep', 'remove'/],
    ['drainTimeout', 'drainTimeout: forever', 2, 17, 'director.drainTimeout', /a duration/],
    ['state', 'state: ""', 2, 10, 'director.state', /a file path/],
    ['metrics no port', 'metrics: 127.0.0.1', 2, 12, 'director.metrics', /HOST:PORT/],
    ['metrics port', 'metrics: 127.0.0.1:70000', 2, 12, 'director.metrics', /from 1 to 65535/],
    ['metrics true', 'metrics: true', 2, 12, 'director.metrics', /HOST:PORT/],
    ['log', 'log: xml', 2, 8, 'director.log', /one of 'text', 'json'/],
    ['notify not a mapping', 'notify: /bin/hook', 2, 11, 'director.notify', /expected hooks/],
    ['notify hook a string', 'notify:\n  up: /bin/hook up', 3, 9, 'director.notify.up', /a list of strings/],
    ['notify hook element', 'notify:\n  down: [/bin/hook, 5]', 3, 23, 'director.notify.down[1]', /a string/],
    ['notify unknown', 'notify:\n  notify_up: [/bin/x]', 3, 5, 'director.notify.notify_up', /did you mean up\?/],
    ['unknown field', 'resync: 5s', 2, 3, 'director.resync', /did you mean resyncInterval\?|no such field/],
    ['keepalived lvs_flush', 'lvs_flush: true', 2, 3, 'director.lvs_flush', /did you mean onStop\?/],
    ['a list', '- x', 2, 3, 'director', /expected the agent's settings/],
  ])('%s', (_name, lines, line, column, field, message) => {
    expect(problemsOf(dir(lines))).toContainEqual({ line, column, field, message: expect.stringMatching(message) });
  });
});
