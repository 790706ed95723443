/**
 * parseConfig reading good files: every field of the format, its short and long spellings, defaults,
 * keepalived's forwarding words, the three formats (YAML, JSON, rules text) and how one is chosen.
 */
import { describe, expect, it } from 'vitest';
import { IpvsConfigError, IpvsValidationError, parseConfig, type DesiredService, type DestinationOptions, type ServiceOptions } from '../../lib';
import { destinationConfig, destinationKey } from '../../lib/validate/destination';
import { serviceConfig, serviceKey } from '../../lib/validate/service';

const SERVICE_DEFAULTS: ServiceOptions = { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null };
const DEST_DEFAULTS: DestinationOptions = { forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null };

function services(text: string): DesiredService[] {
  return parseConfig(text).table.services;
}

/** The one service of a file made of a service entry's lines (indented under `- `). */
function one(entry: string): DesiredService {
  const list = services(`services:\n  - ${entry.trim().split('\n').join('\n    ')}\n`);
  expect(list).toHaveLength(1);
  return list[0];
}

describe('parseConfig: services', () => {
  it.each<[string, DesiredService['service']]>([
    ['tcp 192.0.2.10:80', { protocol: 'tcp', address: '192.0.2.10', port: 80 }],
    ['udp 192.0.2.10:53', { protocol: 'udp', address: '192.0.2.10', port: 53 }],
    ['sctp 192.0.2.10:3868', { protocol: 'sctp', address: '192.0.2.10', port: 3868 }],
    ['tcp [2001:DB8:0::10]:443', { protocol: 'tcp', address: '2001:db8::10', port: 443 }],
    ['fwmark 7', { fwmark: 7, family: 'ipv4' }],
    ['fwmark 4294967295 ipv6', { fwmark: 4294967295, family: 'ipv6' }],
    ['{ protocol: udp, address: 192.0.2.10, port: 53 }', { protocol: 'udp', address: '192.0.2.10', port: 53 }],
    ['{ fwmark: 3 }', { fwmark: 3, family: 'ipv4' }],
    ['{ fwmark: 3, family: ipv6 }', { fwmark: 3, family: 'ipv6' }],
  ])('service: %s', (spelled, key) => {
    const s = one(`service: ${spelled}`);
    expect(s.service).toEqual(key);
    expect(s.options).toEqual(SERVICE_DEFAULTS);
    expect(s.destinations).toEqual([]);
  });

  it('takes every service option, with the library\'s names', () => {
    const s = one(`
service: udp 192.0.2.10:5060
scheduler: sh
schedulerFlags: [sh-fallback, sh-port]
onePacket: true
persistence: { timeout: 120, netmask: 28 }
persistenceEngine: sip`);
    expect(s.options).toEqual({
      scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'], onePacket: true,
      persistence: { timeout: 120, netmask: 28 }, persistenceEngine: 'sip',
    });
  });

  it.each<[string, ServiceOptions['persistence']]>([
    ['300', { timeout: 300, netmask: 32 }],
    ['{ timeout: 60 }', { timeout: 60, netmask: 32 }],
    ['{ netmask: 255.255.255.0 }', { timeout: 360, netmask: 24 }],
    ['{ timeout: 60, netmask: 16 }', { timeout: 60, netmask: 16 }],
    ['false', null],
    ['null', null],
  ])('persistence: %s', (spelled, persistence) => {
    expect(one(`service: tcp 192.0.2.10:80\npersistence: ${spelled}`).options?.persistence).toEqual(persistence);
  });

  it('an IPv6 service takes a prefix length as netmask (default 128)', () => {
    expect(one('service: tcp [2001:db8::10]:80\npersistence: { timeout: 60, netmask: 64 }').options?.persistence).toEqual({ timeout: 60, netmask: 64 });
    expect(one('service: fwmark 1 ipv6\npersistence: 60').options?.persistence).toEqual({ timeout: 60, netmask: 128 });
  });

  it('port 0 with persistence: every port of a client to one real server', () => {
    const s = one('service: tcp 192.0.2.10:0\npersistence: 300\ndestinations:\n  - server: 198.51.100.11');
    expect(s.service).toEqual({ protocol: 'tcp', address: '192.0.2.10', port: 0 });
    expect(s.destinations?.[0].destination).toEqual({ address: '198.51.100.11', port: 0 });
  });

  it('keeps services in file order', () => {
    const list = services('services:\n  - service: tcp 192.0.2.2:80\n  - service: fwmark 1\n  - service: tcp 192.0.2.1:80\n');
    expect(list.map((s) => s.service)).toEqual([
      { protocol: 'tcp', address: '192.0.2.2', port: 80 }, { fwmark: 1, family: 'ipv4' }, { protocol: 'tcp', address: '192.0.2.1', port: 80 },
    ]);
  });

  it('the same fwmark in both families is two services', () => {
    expect(services('services:\n  - service: fwmark 1\n  - service: fwmark 1 ipv6\n')).toHaveLength(2);
  });

  it('an empty list declares no services; `destinations:` with nothing declares none', () => {
    expect(services('services: []\n')).toEqual([]);
    expect(one('service: tcp 192.0.2.10:80\ndestinations:').destinations).toEqual([]);
  });
});

describe('parseConfig: destinations', () => {
  const dests = (entry: string, service = 'tcp 192.0.2.10:80'): NonNullable<DesiredService['destinations']> =>
    one(`service: ${service}\ndestinations:\n  - ${entry.trim().split('\n').join('\n    ')}`).destinations!;

  it.each<[string, { address: string; port: number }]>([
    ['198.51.100.11:80', { address: '198.51.100.11', port: 80 }],
    ['198.51.100.11', { address: '198.51.100.11', port: 80 }],
    ["'[2001:db8::11]:80'", { address: '2001:db8::11', port: 80 }],
    ['{ address: 198.51.100.11, port: 80 }', { address: '198.51.100.11', port: 80 }],
    ['{ address: 198.51.100.11 }', { address: '198.51.100.11', port: 80 }],
  ])('server: %s (the port, when left out, is the service\'s)', (spelled, key) => {
    const service = key.address.includes(':') ? 'tcp [2001:db8::10]:80' : 'tcp 192.0.2.10:80';
    expect(dests(`server: ${spelled}`, service)[0]).toEqual({ destination: key, options: DEST_DEFAULTS });
  });

  it('a bare IPv6 server takes the service\'s port; a fwmark service\'s servers take port 0', () => {
    expect(dests('server: 2001:db8::11', 'udp [2001:db8::10]:53')[0].destination).toEqual({ address: '2001:db8::11', port: 53 });
    expect(dests('server: 198.51.100.11', 'fwmark 9')[0].destination).toEqual({ address: '198.51.100.11', port: 0 });
  });

  it('takes every destination option', () => {
    expect(dests('server: 198.51.100.11:8080\nforwarding: masq\nweight: 0\nupperThreshold: 100\nlowerThreshold: 10')[0].options)
      .toEqual({ forwarding: 'masq', weight: 0, upperThreshold: 100, lowerThreshold: 10, tunnel: null });
  });

  it.each<[string, DestinationOptions['forwarding']]>([
    ['masq', 'masq'], ['route', 'route'], ['tunnel', 'tunnel'], ['local', 'local'], ['bypass', 'bypass'],
    ['nat', 'masq'], ['NAT', 'masq'], ['dr', 'route'], ['DR', 'route'], ['tun', 'tunnel'], ['TUN', 'tunnel'],
  ])('forwarding: %s is %s', (spelled, method) => {
    const server = method === 'masq' ? '198.51.100.11:8080' : '198.51.100.11';
    expect(dests(`server: ${server}\nforwarding: ${spelled}`)[0].options?.forwarding).toBe(method);
  });

  it.each<[string, NonNullable<DestinationOptions['tunnel']>]>([
    ['{}', { type: 'ipip', port: 0, checksum: 'nocsum' }],
    ['{ type: gre, checksum: csum }', { type: 'gre', port: 0, checksum: 'csum' }],
    ['{ type: gue, port: 6080, checksum: remcsum }', { type: 'gue', port: 6080, checksum: 'remcsum' }],
  ])('tunnel: %s', (spelled, tunnel) => {
    expect(dests(`server: 198.51.100.11\nforwarding: tunnel\ntunnel: ${spelled}`)[0].options?.tunnel).toEqual(tunnel);
  });

  it('forwarding on the service is the default of its destinations (keepalived\'s lvs_method); theirs wins', () => {
    const list = one(`
service: tcp 192.0.2.10:80
forwarding: NAT
destinations:
  - server: 198.51.100.11:8080
  - server: 198.51.100.12
    forwarding: route`).destinations!;
    expect(list.map((d) => d.options?.forwarding)).toEqual(['masq', 'route']);
  });

  it('an IPv4 server behind an IPv6 service with forwarding tunnel', () => {
    expect(dests('server: 198.51.100.11\nforwarding: tunnel', 'tcp [2001:db8::10]:80')[0].destination)
      .toEqual({ address: '198.51.100.11', port: 80 });
  });

  it('the same server in two services is fine', () => {
    const list = services('services:\n  - service: tcp 192.0.2.10:80\n    destinations: [{ server: 198.51.100.11 }]\n' +
      '  - service: tcp 192.0.2.10:443\n    destinations: [{ server: 198.51.100.11 }]\n');
    expect(list.map((s) => s.destinations?.[0].destination.port)).toEqual([80, 443]);
  });
});

describe('parseConfig: formats', () => {
  const YAML = 'services:\n  - service: tcp 192.0.2.10:80\n    scheduler: rr\n    destinations:\n      - server: 198.51.100.11\n';
  const JSON_TEXT = JSON.stringify({ services: [{ service: 'tcp 192.0.2.10:80', scheduler: 'rr', destinations: [{ server: '198.51.100.11' }] }] });
  const RULES = '# saved\n-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.11:80 -g -w 1\n';

  it('YAML, JSON and rules text of one table give one desired table', () => {
    const yaml = parseConfig(YAML);
    expect(yaml.format).toBe('yaml');
    expect(parseConfig(JSON_TEXT)).toEqual({ ...yaml, format: 'json' });
    expect(parseConfig(RULES)).toEqual({ ...yaml, format: 'rules' });
  });

  it.each<[string, string, string]>([
    ['lb.yaml', JSON_TEXT, 'yaml'], ['lb.YML', YAML, 'yaml'], ['lb.json', JSON_TEXT, 'json'],
    ['rules.txt', RULES, 'rules'], ['lb.conf', YAML, 'yaml'], ['dir.d/lb', JSON_TEXT, 'json'],
  ])('path %s picks the format %s', (path, text, format) => {
    expect(parseConfig(text, { path }).format).toBe(format);
  });

  it('format given wins over the extension', () => {
    expect(parseConfig(RULES, { path: 'lb.yaml', format: 'rules' }).format).toBe('rules');
  });

  it.each([
    'ipvsadm -A -t 192.0.2.10:80 -s rr\n', '--add-service --tcp-service 192.0.2.10:80 --scheduler rr\n', '\n\n  -A -t 192.0.2.10:80 -s rr\n',
  ])('sniffs rules text: %j', (text) => {
    expect(parseConfig(text).format).toBe('rules');
  });

  it('rules text folds -A/-E/-D/-a/-e/-d/-C in order, as ipvsadm -R would build the table', () => {
    const config = parseConfig([
      '-A -t 192.0.2.1:80 -s rr',
      '-A -u 192.0.2.1:53',
      '-C',
      '-A -t 192.0.2.1:80 -s rr -p 60',
      '-a -t 192.0.2.1:80 -r 198.51.100.1 -g -w 5',
      '-a -t 192.0.2.1:80 -r 198.51.100.2 -g',
      '-a -t 192.0.2.1:80 -r 198.51.100.3 -g',
      '-E -t 192.0.2.1:80 -s wlc',
      '-e -t 192.0.2.1:80 -r 198.51.100.2 -g -w 7',
      '-d -t 192.0.2.1:80 -r 198.51.100.3',
      '-Z',
      '-A -f 1 -6',
      '-D -f 1 -6',
      '-A -f 1',
    ].join('\n'));
    expect(config.table.services).toEqual([
      {
        service: { protocol: 'tcp', address: '192.0.2.1', port: 80 },
        // -E replaces every setting: persistence is off again.
        options: { ...SERVICE_DEFAULTS, scheduler: 'wlc' },
        destinations: [
          { destination: { address: '198.51.100.1', port: 80 }, options: { ...DEST_DEFAULTS, weight: 5 } },
          { destination: { address: '198.51.100.2', port: 80 }, options: { ...DEST_DEFAULTS, weight: 7 } },
        ],
      },
      { service: { fwmark: 1, family: 'ipv4' }, options: SERVICE_DEFAULTS, destinations: [] },
    ]);
  });

  it('a byte order mark is not part of the text (columns count from after it)', () => {
    expect(parseConfig(`\ufeff${YAML}`).table).toEqual(parseConfig(YAML).table);
    const err = (() => {
      try {
        parseConfig('\ufeffservices: 5\n');
      } catch (e) {
        return e as IpvsConfigError;
      }
    })();
    expect(err?.problems[0]).toMatchObject({ line: 1, column: 11 });
  });
});

describe('parseConfig: the library\'s validators decide', () => {
  // Values of every kind, good and bad, given in JSON so that their types are exactly these.
  const SERVICE_CASES: [string, unknown[]][] = [
    ['scheduler', ['rr', 'mh', 'a/b', '', 'x'.repeat(16), 'constructor', 5, null]],
    ['schedulerFlags', [[], ['flag-1'], ['flag-1', 'flag-1'], ['sh-port'], 'flag-1', [5], null]],
    ['onePacket', [true, false, 'true', 1, null]],
    ['persistence', [0, 1, 2678400, 2678401, '300', true, false, null, {}, { timeout: 5, netmask: '255.255.0.0' }, { netmask: 33 }, [300]]],
    ['persistenceEngine', ['sip', null, '', 'a.b', 7]],
  ];
  const DEST_CASES: [string, unknown[]][] = [
    ['weight', [-1, 0, 1, 2 ** 31 - 1, 2 ** 31, 1.5, '1', true, null]],
    ['upperThreshold', [0, 2 ** 32 - 1, 2 ** 32, -1, '5']],
    ['lowerThreshold', [0, 5, -1]],
    ['tunnel', [null, {}, { type: 'gre' }, 5]],
  ];
  const SERVICE = { protocol: 'udp', address: '192.0.2.10', port: 53 } as const;
  const DEST = { address: '198.51.100.11', port: 5353 } as const;

  function accepted(run: () => unknown): boolean {
    try {
      run();
      return true;
    } catch (err) {
      if (!(err instanceof IpvsConfigError) && !(err instanceof IpvsValidationError)) throw err;
      return false;
    }
  }

  it.each(SERVICE_CASES)('service %s: accepted exactly when serviceConfig accepts it', (name, values) => {
    for (const value of values) {
      const file = JSON.stringify({ services: [{ service: SERVICE, [name]: value }] });
      const library = accepted(() => serviceConfig({ [name]: value }, serviceKey(SERVICE), null));
      expect([value, accepted(() => parseConfig(file))]).toEqual([value, library]);
    }
  });

  it.each(DEST_CASES)('destination %s: accepted exactly when destinationConfig accepts it', (name, values) => {
    for (const value of values) {
      const file = JSON.stringify({ services: [{ service: SERVICE, destinations: [{ server: DEST, forwarding: 'masq', [name]: value }] }] });
      const library = accepted(() => destinationConfig({ forwarding: 'masq', [name]: value }, serviceKey(SERVICE), destinationKey(DEST), null));
      expect([value, accepted(() => parseConfig(file))]).toEqual([value, library]);
    }
  });
});
