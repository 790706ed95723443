/**
 * parseConfig refusing bad files: every bad value is a problem with its line, column and field path,
 * judged by the library's validators; unknown fields (prototype names among them), duplicates, aliases,
 * merge keys, tags, oversized and over-nested files; every problem of a file at once; only
 * IpvsConfigError is thrown for what a file says.
 */
import { describe, expect, it } from 'vitest';
import { IpvsConfigError, IpvsValidationError, formatConfigProblem, parseConfig, type ConfigProblem } from '../../lib';
import { MAX_CONFIG_BYTES, MAX_CONFIG_ITEMS } from '../../lib/config/limits';
import { MAX_PROBLEMS } from '../../lib/config/problems';

function problemsOf(text: string, path?: string): ConfigProblem[] {
  try {
    parseConfig(text, { path });
  } catch (err) {
    expect(err).toBeInstanceOf(IpvsConfigError);
    return [...(err as IpvsConfigError).problems];
  }
  throw new Error('parsed without a problem');
}

/** A file of one service entry (its lines under `  - `), the service at line 2. */
const entry = (lines: string): string => `services:\n  - ${lines.trim().split('\n').join('\n    ')}\n`;
const withDest = (dest: string, service = 'service: tcp 192.0.2.10:80'): string =>
  entry(`${service}\ndestinations:\n  - ${dest.trim().split('\n').join('\n    ')}`);

type Case = [string, string, number, number, string, RegExp];

describe('parseConfig: each bad value at its line and column', () => {
  it.each<Case>([
    // the file
    ['an empty file', '', 1, 1, '', /declares nothing/],
    ['a comment only', '# nothing\n', 1, 1, '', /declares nothing/],
    ['a list at the top', '- service: tcp 192.0.2.10:80\n', 1, 1, '', /expected a mapping with a services: list/],
        ['services not a list', 'services: 5\n', 1, 11, 'services', /expected a list of services, got 5/],
    ['a service not a mapping', 'services:\n  - tcp 192.0.2.10:80\n', 2, 5, 'services[0]', /expected a service/],
    // service keys
    ['no service key', entry('scheduler: rr'), 2, 5, 'services[0].service', /missing/],
    ['no port', entry('service: tcp 192.0.2.10'), 2, 14, 'services[0].service', /a port after the address/],
    ['IPv6 with a port, no brackets', entry('service: tcp 2001:db8::10:80'), 2, 14, 'services[0].service', /a port after the address/],
    ['unknown protocol', entry('service: http 192.0.2.10:80'), 2, 14, 'services[0].service.protocol', /one of 'tcp', 'udp', 'sctp'.*"http"/],
    ['bad address', entry('service: tcp 192.0.2.999:80'), 2, 14, 'services[0].service.address', /an IPv4 or IPv6 address, got "192.0.2.999"/],
    ['a host name', entry('service: tcp example.com:80'), 2, 14, 'services[0].service.address', /an IPv4 or IPv6 address/],
    ['port out of range', entry('service: tcp 192.0.2.10:70000'), 2, 14, 'services[0].service.port', /from 0 to 65535, got 70000/],
    ['port not a number', entry('service: tcp 192.0.2.10:http'), 2, 14, 'services[0].service.port', /integer.*"http"/],
    ['fwmark 0', entry('service: fwmark 0'), 2, 14, 'services[0].service.fwmark', /from 1 to 4294967295, got 0/],
    ['fwmark too big', entry('service: fwmark 4294967296'), 2, 14, 'services[0].service.fwmark', /got 4294967296/],
    ['fwmark family', entry('service: fwmark 1 ipv5'), 2, 14, 'services[0].service.family', /one of 'ipv4', 'ipv6'/],
    ['a service spelled wrong', entry('service: tcp://192.0.2.10:80'), 2, 14, 'services[0].service', /PROTOCOL ADDRESS:PORT/],
    ['a service as a number', entry('service: 80'), 2, 14, 'services[0].service', /expected an address \(or a mapping\), got 80/],
    ['long form without port', entry('service: { protocol: tcp, address: 192.0.2.10 }'), 2, 14, 'services[0].service.port', /got undefined/],
    ['long form, bad address at its own place', entry('service:\n  protocol: tcp\n  address: 192.0.2.300\n  port: 80'), 4, 16, 'services[0].service.address', /got "192.0.2.300"/],
    ['long form, unknown field', entry('service: { protocol: tcp, address: 192.0.2.10, port: 80, scheduler: rr }'), 2, 62, 'services[0].service.scheduler', /no such field.*known: protocol, address, port/],
    ['fwmark and protocol', entry('service: { fwmark: 1, protocol: tcp }'), 2, 27, 'services[0].service.protocol', /no such field/],
    // service options
    ['scheduler not a module name', entry('service: tcp 192.0.2.10:80\nscheduler: ../rr'), 3, 16, 'services[0].scheduler', /a module name/],
    ['scheduler a number', entry('service: tcp 192.0.2.10:80\nscheduler: 5'), 3, 16, 'services[0].scheduler', /got 5/],
    ['scheduler flags not a list', entry('service: tcp 192.0.2.10:80\nscheduler: sh\nschedulerFlags: sh-port'), 4, 21, 'services[0].schedulerFlags', /an array of scheduler flags/],
    ['unknown scheduler flag', entry('service: tcp 192.0.2.10:80\nscheduler: sh\nschedulerFlags: [sh-port, bogus]'), 4, 31, 'services[0].schedulerFlags[1]', /one of 'sh-fallback'/],
    ['a flag of another scheduler', entry('service: tcp 192.0.2.10:80\nscheduler: rr\nschedulerFlags: [sh-port]'), 4, 22, 'services[0].schedulerFlags[0]', /a flag of scheduler 'rr'/],
    ['a flag twice', entry('service: tcp 192.0.2.10:80\nscheduler: mh\nschedulerFlags: [mh-port, mh-port]'), 4, 31, 'services[0].schedulerFlags[1]', /each scheduler flag once/],
    ['onePacket yes', entry('service: udp 192.0.2.10:53\nonePacket: yes'), 3, 16, 'services[0].onePacket', /true or false, got "yes"/],
    ['onePacket on TCP', entry('service: tcp 192.0.2.10:80\nonePacket: true'), 3, 16, 'services[0].onePacket', /false for a tcp service/],
    ['persistence 0', entry('service: tcp 192.0.2.10:80\npersistence: 0'), 3, 18, 'services[0].persistence', /from 1 to 2678400, got 0/],
    ['persistence too long', entry('service: tcp 192.0.2.10:80\npersistence: { timeout: 2678401 }'), 3, 29, 'services[0].persistence.timeout', /got 2678401/],
    ['persistence true', entry('service: tcp 192.0.2.10:80\npersistence: true'), 3, 18, 'services[0].persistence', /an object, got true/],
    ['netmask not contiguous', entry('service: tcp 192.0.2.10:80\npersistence: { netmask: 255.0.255.0 }'), 3, 29, 'services[0].persistence.netmask', /a contiguous IPv4 mask/],
    ['netmask too long', entry('service: tcp 192.0.2.10:80\npersistence: { netmask: 33 }'), 3, 29, 'services[0].persistence.netmask', /from 0 to 32, got 33/],
    ['IPv6 netmask 0', entry('service: tcp [2001:db8::10]:80\npersistence: { netmask: 0 }'), 3, 29, 'services[0].persistence.netmask', /from 1 to 128, got 0/],
    ['persistence unknown field', entry('service: tcp 192.0.2.10:80\npersistence: { timeout: 60, granularity: 24 }'), 3, 33, 'services[0].persistence.granularity', /no such field/],
    ['persistence engine path', entry('service: udp 192.0.2.10:5060\npersistence: 60\npersistenceEngine: ../sip'), 4, 24, 'services[0].persistenceEngine', /a module name/],
    ['port 0 without persistence', entry('service: tcp 192.0.2.10:0'), 2, 14, 'services[0].service.port', /port 0 needs persistence/],
    ['service-level forwarding', entry('service: tcp 192.0.2.10:80\nforwarding: nats'), 3, 17, 'services[0].forwarding', /one of 'masq', 'route'/],
    ['destinations not a list', entry('service: tcp 192.0.2.10:80\ndestinations: 198.51.100.11'), 3, 19, 'services[0].destinations', /a list of destinations/],
    // destinations
    ['a destination not a mapping', withDest('198.51.100.11'), 4, 9, 'services[0].destinations[0]', /expected a destination/],
    ['no server', withDest('weight: 1'), 4, 9, 'services[0].destinations[0].server', /missing/],
    ['weight -1', withDest('server: 198.51.100.11\nweight: -1'), 5, 17, 'services[0].destinations[0].weight', /an integer from 0 to 2147483647, got -1/],
    ['weight 1.5', withDest('server: 198.51.100.11\nweight: 1.5'), 5, 17, 'services[0].destinations[0].weight', /got 1.5/],
    ['weight as a string', withDest('server: 198.51.100.11\nweight: "2"'), 5, 17, 'services[0].destinations[0].weight', /got "2"/],
    ['weight too big', withDest('server: 198.51.100.11\nweight: 2147483648'), 5, 17, 'services[0].destinations[0].weight', /got 2147483648/],
    ['weight .inf', withDest('server: 198.51.100.11\nweight: .inf'), 5, 17, 'services[0].destinations[0].weight', /got null|Infinity/],
    ['upper threshold too big', withDest('server: 198.51.100.11\nupperThreshold: 4294967296'), 5, 25, 'services[0].destinations[0].upperThreshold', /from 0 to 4294967295/],
    ['lower above upper', withDest('server: 198.51.100.11\nupperThreshold: 10\nlowerThreshold: 20'), 6, 25, 'services[0].destinations[0].lowerThreshold', /at most the upper threshold \(10\)/],
    ['lower above no upper', withDest('server: 198.51.100.11\nlowerThreshold: 20'), 5, 25, 'services[0].destinations[0].lowerThreshold', /at most the upper threshold \(0\)/],
    ['forwarding unknown', withDest('server: 198.51.100.11\nforwarding: gatewaying'), 5, 21, 'services[0].destinations[0].forwarding', /one of 'masq'/],
    ['route changing the port', withDest('server: 198.51.100.11:8080\nforwarding: route'), 4, 17, 'services[0].destinations[0].server.port', /cannot change ports; use 'masq'/],
    ['tunnel settings without tunnel', withDest('server: 198.51.100.11:8080\nforwarding: masq\ntunnel: { type: gre }'), 6, 17, 'services[0].destinations[0].tunnel', /no tunnel settings/],
    ['GUE without port', withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { type: gue }'), 6, 17, 'services[0].destinations[0].tunnel.port', /GUE tunnels need one/],
    ['tunnel port with ipip', withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { type: ipip, port: 5 }'), 6, 37, 'services[0].destinations[0].tunnel.port', /only GUE tunnels/],
    ['tunnel type', withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { type: vxlan }'), 6, 25, 'services[0].destinations[0].tunnel.type', /one of 'ipip', 'gue', 'gre'/],
    ['tunnel checksum', withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { checksum: on }'), 6, 29, 'services[0].destinations[0].tunnel.checksum', /one of 'nocsum'/],
    ['tunnel unknown field', withDest('server: 198.51.100.11\nforwarding: tunnel\ntunnel: { kind: gre }'), 6, 19, 'services[0].destinations[0].tunnel.kind', /no such field/],
    ['multicast server', withDest('server: 224.0.0.1'), 4, 17, 'services[0].destinations[0].server.address', /a unicast address for a real server \(not multicast\)/],
    ['server of another family without tunnel', withDest('server: 2001:db8::11'), 4, 17, 'services[0].destinations[0].server.address', /needs forwarding 'tunnel'/],
    ['server port out of range', withDest('server: 198.51.100.11:65536'), 4, 17, 'services[0].destinations[0].server.port', /got 65536/],
    ['server as a YAML list (IPv6 unquoted)', withDest('server: [2001:db8::11]', 'service: tcp [2001:db8::10]:80'), 4, 17, 'services[0].destinations[0].server', /quote an IPv6 address with a port/],
    ['server bracketed without port', withDest("server: '[2001:db8::11]'", 'service: tcp [2001:db8::10]:80'), 4, 17, 'services[0].destinations[0].server', /\[IPV6\]:PORT/],
    ['server long form, unknown field', withDest('server: { address: 198.51.100.11, weight: 2 }'), 4, 43, 'services[0].destinations[0].server.weight', /no such field/],
    ["keepalived's word", withDest('server: 198.51.100.11\nlvs_method: DR'), 5, 9, 'services[0].destinations[0].lvs_method', /did you mean forwarding\?/],
    ['a misspelling', withDest('server: 198.51.100.11\nwieght: 2'), 5, 9, 'services[0].destinations[0].wieght', /did you mean weight\?/],
  ])('%s', (_name, text, line, column, field, message) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line, column, field });
    expect(problems[0].message).toMatch(message);
  });
});

describe('parseConfig: the top level', () => {
  it('a misspelled services field, and the missing one', () => {
    expect(problemsOf('servces: []\n')).toEqual([
      { line: 1, column: 1, field: 'servces', message: 'no such field (did you mean services?; known: services, director, vrrp)' },
      { line: 1, column: 1, field: 'services', message: 'missing: the list of services (`services: []` for none)' },
    ]);
  });
});

describe('parseConfig: names that are not fields', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'];

  it.each(NAMES)('%s is an unknown field at every level, and pollutes nothing', (name) => {
    const text = [
      `${name}: 1`,
      'services:',
      '  - service: { protocol: tcp, address: 192.0.2.10, port: 80, ' + `${name}: 1 }`,
      `    ${name}: { scheduler: rr }`,
      '    persistence: { timeout: 60, ' + `${name}: 1 }`,
      '    destinations:',
      `      - server: { address: 198.51.100.11, ${name}: 1 }`,
      `        ${name}: { weight: 5 }`,
      '        forwarding: tunnel',
      `        tunnel: { ${name}: 1 }`,
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, name],
      [3, `services[0].service.${name}`],
      [4, `services[0].${name}`],
      [5, `services[0].persistence.${name}`],
      [7, `services[0].destinations[0].server.${name}`],
      [8, `services[0].destinations[0].${name}`],
      [10, `services[0].destinations[0].tunnel.${name}`],
    ]);
    for (const p of problems) expect(p.message).toMatch(/^no such field/);
    expect(({} as Record<string, unknown>).scheduler).toBeUndefined();
    expect(({} as Record<string, unknown>).weight).toBeUndefined();
  });

  // 'prototype' is no name every object has: a scheduler module could be called that.
  it.each(NAMES.filter((n) => n !== 'prototype'))('%s as a value is refused by the validator that reads it', (name) => {
    const text = withDest(`server: 198.51.100.11\nforwarding: ${name}`, `service: tcp 192.0.2.10:80\nscheduler: ${name}`) +
      `  - service: { protocol: ${name}, address: 192.0.2.10, port: 80 }\n`;
    expect(problemsOf(text).map((p) => p.field)).toEqual([
      'services[0].scheduler', 'services[0].destinations[0].forwarding', 'services[1].service.protocol',
    ]);
  });

  it('the same names in JSON', () => {
    const text = '{"services": [], "__proto__": {"polluted": 1}, "constructor": 1}';
    expect(problemsOf(text).map((p) => [p.line, p.column, p.field])).toEqual([[1, 18, '__proto__'], [1, 48, 'constructor']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseConfig: duplicates', () => {
  it('a service declared twice, in any spelling, names both places', () => {
    const text = 'services:\n  - service: tcp [2001:db8:0::10]:80\n  - service: { protocol: tcp, address: "2001:DB8::10", port: 80 }\n';
    const [p] = problemsOf(text);
    expect(p).toMatchObject({ line: 3, column: 14, field: 'services[1].service' });
    expect(p.message).toBe('service tcp [2001:db8::10]:80 is declared twice: here and at line 2, column 14 (services[0].service)');
  });

  it('a real server declared twice in one service names both places', () => {
    const text = withDest('server: 198.51.100.11') + '      - server: 198.51.100.11:80\n        weight: 2\n';
    const [p] = problemsOf(text);
    expect(p).toMatchObject({ line: 5, column: 17, field: 'services[0].destinations[1].server' });
    expect(p.message).toBe('server 198.51.100.11:80 is declared twice in this service: here and at line 4, column 17 (services[0].destinations[0].server)');
  });

  it('20,000 fields in one mapping cost no more than 20,000 anywhere (no check of each against all)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join(', ');
    const started = Date.now();
    const problems = problemsOf(`services: [{ service: tcp 192.0.2.1:80, ${keys}, k5: 2 }]`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[MAX_PROBLEMS].message).toBe(`${20_001 - MAX_PROBLEMS} more problems not listed (only the first ${MAX_PROBLEMS} are)`);
  });

  it('a field given twice', () => {
    expect(problemsOf(withDest('server: 198.51.100.11\nweight: 1\nweight: 2'))).toEqual([
      { line: 6, column: 9, field: 'services[0].destinations[0].weight', message: 'given twice in one mapping' },
    ]);
  });
});

describe('parseConfig: YAML features refused', () => {
  it('an alias is refused where it stands', () => {
    const text = 'services:\n  - service: &vip tcp 192.0.2.10:80\n  - service: *vip\n';
    expect(problemsOf(text)).toEqual([{ line: 3, column: 14, field: 'services[1].service', message: 'an alias (*vip) is not accepted: write the value out' }]);
  });

  it('a merge key is refused', () => {
    const text = 'services:\n  - &base\n    service: tcp 192.0.2.10:80\n    scheduler: rr\n  - <<: *base\n    service: tcp 192.0.2.10:443\n';
    const problems = problemsOf(text);
    expect(problems[0]).toMatchObject({ line: 5, column: 5, field: 'services[1].<<' });
    expect(problems[0].message).toMatch(/merge keys \(<<\) are not accepted/);
  });

  it('a "billion laughs" file is refused at its first alias, without expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const text = `${levels.join('\n')}\nservices: [{ service: tcp 192.0.2.10:80, scheduler: *l }]\n`;
    const before = process.memoryUsage().heapUsed;
    const problems = problemsOf(text);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(problems.some((p) => p.field === 'services[0].scheduler' && /alias \(\*l\)/.test(p.message))).toBe(true);
  });

  it('an unknown tag is refused', () => {
    expect(problemsOf(entry('service: !vip tcp 192.0.2.10:80'))[0]).toMatchObject({ line: 2, column: 14, message: 'Unresolved tag: !vip' });
  });

  it('two documents are refused', () => {
    expect(problemsOf('services: []\n---\nservices: []\n')[0].message).toMatch(/more than one YAML document/);
  });

  it('a syntax error has its line and column', () => {
    expect(problemsOf('services:\n  - service: "tcp 192.0.2.10:80\n')[0]).toMatchObject({ line: 3, column: 1, message: 'Missing closing "quote' });
    expect(problemsOf('services:\n  - service: tcp 192.0.2.10:80\n   scheduler: rr\n')[0]).toMatchObject({ line: 3 });
  });
});

describe('parseConfig: JSON', () => {
  it('a bad value at its line and column', () => {
    const text = '{\n  "services": [\n    { "service": "tcp 192.0.2.10:80",\n      "destinations": [{ "server": "198.51.100.11", "weight": -1 }] }\n  ]\n}\n';
    expect(problemsOf(text, 'lb.json')).toEqual([
      { line: 4, column: 63, field: 'services[0].destinations[0].weight', message: 'expected an integer from 0 to 2147483647, got -1' },
    ]);
  });

  it("JSON's types only: a YAML word is not a string there", () => {
    expect(problemsOf('{"services": [{"service": tcp}]}', 'lb.json')[0].message).toMatch(/Unresolved plain scalar/);
  });

  it('a syntax error', () => {
    expect(problemsOf('{"services": [}', 'lb.json')[0].line).toBe(1);
  });
});

describe('parseConfig: rules text', () => {
  it('every bad line, with its number', () => {
    const problems = problemsOf('-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.11 -w x\n\n-A -t 192.0.2.10\n');
    expect(problems.map((p) => [p.line, p.column, p.field])).toEqual([[2, 1, ''], [4, 1, '']]);
    expect(problems[0].message).toMatch(/^-w expects an integer.*"-a -t 192.0.2.10:80 -r 198.51.100.11 -w x"$/);
  });

  it('what a line cannot do to the table so far', () => {
    const problems = problemsOf([
      '-A -t 192.0.2.10:80',
      '-A -t 192.0.2.10:80 -s rr',
      '-a -t 192.0.2.20:80 -r 198.51.100.11',
      '-a -t 192.0.2.10:80 -r 198.51.100.11',
      '-a -t 192.0.2.10:80 -r 198.51.100.11:80',
      '-e -t 192.0.2.10:80 -r 198.51.100.12',
      '-d -t 192.0.2.10:80 -r 198.51.100.12',
      '-E -f 1',
      '-D -f 1',
      '--set 10 10 10',
      '--start-daemon master',
    ].join('\n'));
    expect(problems.map((p) => [p.line, p.message.replace(/: ".*"$/, '')])).toEqual([
      [2, 'service tcp 192.0.2.10:80 is already added (line 1)'],
      [3, 'service tcp 192.0.2.20:80 is not added before this line'],
      [5, 'server 198.51.100.11:80 of service tcp 192.0.2.10:80 is already added (line 4)'],
      [6, 'server 198.51.100.12:80 of service tcp 192.0.2.10:80 is not added before this line'],
      [7, 'server 198.51.100.12:80 of service tcp 192.0.2.10:80 is not added before this line'],
      [8, 'service fwmark 1 is not added before this line'],
      [9, 'service fwmark 1 is not added before this line'],
      [10, 'not part of a table (timeouts and sync daemons are set with their own commands)'],
      [11, 'not part of a table (timeouts and sync daemons are set with their own commands)'],
    ]);
  });
});

describe('parseConfig: sizes and nesting', () => {
  it(`a text over ${MAX_CONFIG_BYTES} bytes is refused before it is parsed`, () => {
    const text = `services: []\n${'#'.repeat(MAX_CONFIG_BYTES)}\n`;
    const started = Date.now();
    expect(problemsOf(text)).toEqual([{ line: 1, column: 1, field: '', message: `the file is larger than ${MAX_CONFIG_BYTES} bytes` }]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('counts bytes, not characters', () => {
    const text = `services: []\n# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}\n`;
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES);
    expect(problemsOf(text)[0].message).toMatch(/larger than/);
  });

  it.each<[string, string, number, number]>([
    ['brackets', `services: ${'['.repeat(2_000_000)}`, 1, 75],
    ['compact sequences', `services:\n${'- '.repeat(100_000)}x\n`, 2, 257],
    ['indentation', `services:\n${' '.repeat(300)}- x\n`, 2, 257],
  ])('deep %s are refused before the parser sees them (it would take seconds and gigabytes)', (_name, text, line, column) => {
    const started = Date.now();
    const [p] = problemsOf(text);
    expect(p).toMatchObject({ line, column, field: '' });
    expect(p.message).toMatch(/deeper than/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it(`a YAML or JSON text of more than ${MAX_CONFIG_ITEMS} values is refused before it is parsed (about 1.2 KB of memory each)`, () => {
    for (const text of [`services: [${'1,'.repeat(MAX_CONFIG_ITEMS)}1]`, `services:\n${'- 1\n'.repeat(MAX_CONFIG_ITEMS)}`]) {
      const started = Date.now();
      const [p] = problemsOf(text);
      expect(p.message).toBe(`the file holds more than ${MAX_CONFIG_ITEMS} values (write a table this large as rules text)`);
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('rules text has no such bound: 10,000 services with 4 destinations each', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`-A -t 10.${i >> 8}.${i & 255}.1:80 -s wrr`);
      for (let j = 1; j <= 4; j++) lines.push(`-a -t 10.${i >> 8}.${i & 255}.1:80 -r 10.200.${i & 255}.${j}:80 -m -w ${j}`);
    }
    const table = parseConfig(lines.join('\n')).table;
    expect(table.services).toHaveLength(10_000);
    expect(table.services[9_999].destinations?.[3].destination).toEqual({ address: '10.200.15.4', port: 80 });
  }, 30_000);

  it('a table of 10,000 services with 4 destinations each reads within bounds', () => {
    const lines = ['services:'];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`  - service: tcp 10.${i >> 8}.${i & 255}.1:80`, '    scheduler: wrr', '    destinations:');
      for (let j = 1; j <= 4; j++) lines.push(`      - { server: 10.200.${i & 255}.${j}:80, forwarding: masq, weight: ${j} }`);
    }
    const text = `${lines.join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_CONFIG_BYTES / 4);
    const table = parseConfig(text).table;
    expect(table.services).toHaveLength(10_000);
    expect(table.services[9_999].destinations?.[3]).toEqual({
      destination: { address: '10.200.15.4', port: 80 },
      options: { forwarding: 'masq', weight: 4, upperThreshold: 0, lowerThreshold: 0, tunnel: null },
    });
  }, 60_000);
});

describe('IpvsConfigError', () => {
  it('lists every problem of the file in file order; its message says the first and how many more', () => {
    const text = entry('service: tcp 192.0.2.10:80\nscheduler: 5\nonePacket: 1\ndestinations:\n  - server: 198.51.100.11\n    weight: -1\n  - server: 198.51.100.12\n    wieght: 1');
    let err: IpvsConfigError | undefined;
    try {
      parseConfig(text, { path: 'lb.yaml' });
    } catch (e) {
      err = e as IpvsConfigError;
    }
    expect(err).toBeInstanceOf(IpvsConfigError);
    expect(err!.code).toBe('ERR_IPVS_CONFIG');
    expect(err!.file).toBe('lb.yaml');
    expect(err!.problems.map((p) => `${p.line}:${p.column} ${p.field}`)).toEqual([
      '3:16 services[0].scheduler', '4:16 services[0].onePacket', '7:17 services[0].destinations[0].weight',
      '9:9 services[0].destinations[1].wieght',
    ]);
    expect(err!.message).toBe('lb.yaml:3:16: services[0].scheduler: expected a module name of 1 to 15 letters, digits, "_" or "-", got 5 (and 3 more problems)');
    expect(formatConfigProblem(err!.problems[2], 'lb.yaml')).toBe('lb.yaml:7:17: services[0].destinations[0].weight: expected an integer from 0 to 2147483647, got -1');
  });

  it(`keeps the first ${MAX_PROBLEMS} problems and counts the rest`, () => {
    const list = Array.from({ length: 150 }, (_, i) => `  - { service: tcp 192.0.2.${i % 250}:80, weight: 1 }`);
    const problems = problemsOf(`services:\n${list.join('\n')}\n`);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[MAX_PROBLEMS].message).toMatch(/^50 more problems not listed/);
  });

  it('a file without a name is <config>', () => {
    expect(() => parseConfig('services: 1')).toThrow(/^<config>:1:11: services: /);
  });

  it('misuse of parseConfig itself is a validation error, not a config error', () => {
    expect(() => parseConfig(5 as unknown as string)).toThrow(IpvsValidationError);
    expect(() => parseConfig('services: []', { format: 'toml' as 'yaml' })).toThrow(IpvsValidationError);
    expect(() => parseConfig('services: []', null as unknown as {})).toThrow(IpvsValidationError);
  });
});
