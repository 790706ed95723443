/**
 * Writing rules text and listings: ipvsadm's lines, order and columns; the
 * writer's output parses back to the same table.
 */
import { describe, expect, it } from 'vitest';
import { formatRules, parseRules } from '../../lib';
import { formatListing, largeNumber } from '../../lib/cli/listing';
import type { DestinationConfig, RulesService, ServiceConfig, ServiceEntry, Stats } from '../../lib';

const cfg = (c: Partial<ServiceConfig> = {}): ServiceConfig => ({
  scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null, ...c,
});
const dcfg = (c: Partial<DestinationConfig> = {}): DestinationConfig => ({
  forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null, ...c,
});

const TABLE: RulesService[] = [
  { key: { protocol: 'udp', address: '192.0.2.3', port: 53 }, config: cfg({ scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'], onePacket: true, persistence: { timeout: 30, netmask: 32 }, persistenceEngine: 'sip' }), destinations: [] },
  { key: { fwmark: 5, family: 'ipv6' }, config: cfg({ scheduler: 'lc', persistence: { timeout: 20, netmask: 64 } }), destinations: [
    { key: { address: '2001:db8::7', port: 80 }, config: dcfg({ forwarding: 'masq' }) },
  ] },
  { key: { protocol: 'tcp', address: '192.0.2.1', port: 80 }, config: cfg({ scheduler: 'rr', persistence: { timeout: 360, netmask: 24 } }), destinations: [
    { key: { address: '2001:db8::5', port: 80 }, config: dcfg({ forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } }) },
    { key: { address: '198.51.100.6', port: 8080 }, config: dcfg({ forwarding: 'masq', weight: 3, upperThreshold: 100, lowerThreshold: 10 }) },
    { key: { address: '198.51.100.2', port: 80 }, config: dcfg({ forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }) },
    { key: { address: '198.51.100.3', port: 80 }, config: dcfg({ forwarding: 'tunnel', tunnel: { type: 'gre', port: 0, checksum: 'nocsum' } }) },
    { key: { address: '198.51.100.1', port: 80 }, config: dcfg({ weight: 0 }) },
  ] },
  { key: { fwmark: 3000000000, family: 'ipv4' }, config: cfg({ scheduler: 'wrr' }), destinations: [] },
  { key: { protocol: 'sctp', address: '192.0.2.4', port: 9 }, config: cfg({ scheduler: 'mh', schedulerFlags: ['mh-port'] }), destinations: [] },
  { key: { protocol: 'tcp', address: '2001:db8::1', port: 443 }, config: cfg({ scheduler: 'rr', persistence: { timeout: 10, netmask: 128 } }), destinations: [] },
];

// What `ipvsadm -S -n` prints for this table (checked against the real tool in the
// kernel tests), plus -x/-y, in ipvsadm's order: non-fwmark services first, by
// family, protocol, address, port; destinations by address.
const SAVED = [
  '-A -t 192.0.2.1:80 -s rr -p 360 -M 255.255.255.0',
  '-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 0',
  '-a -t 192.0.2.1:80 -r 198.51.100.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum',
  '-a -t 192.0.2.1:80 -r 198.51.100.3:80 -i -w 1 --tun-type gre --tun-nocsum',
  '-a -t 192.0.2.1:80 -r 198.51.100.6:8080 -m -w 3 -x 100 -y 10',
  '-a -t 192.0.2.1:80 -r [2001:db8::5]:80 -i -w 1 --tun-type ipip',
  '-A -u 192.0.2.3:53 -s sh -p 30 --pe sip -o -b sh-fallback,sh-port',
  '-A --sctp-service 192.0.2.4:9 -s mh -b mh-port',
  '-A -t [2001:db8::1]:443 -s rr -p 10',
  '-A -f 5 -6 -s lc -p 20 -M 64',
  '-a -f 5 -6 -r [2001:db8::7]:80 -m -w 1',
  '-A -f 3000000000 -s wrr',
];

describe('formatRules', () => {
  it("writes ipvsadm's lines in ipvsadm's order, with thresholds and unsigned fwmarks", () => {
    expect(formatRules(TABLE)).toBe(`${SAVED.join('\n')}\n`);
  });

  it('without thresholds: exactly ipvsadm -S -n', () => {
    expect(formatRules(TABLE, { thresholds: false })).toContain('-a -t 192.0.2.1:80 -r 198.51.100.6:8080 -m -w 3\n');
  });

  it('an empty table is an empty text', () => {
    expect(formatRules([])).toBe('');
  });

  it('what it writes parses back to the same table', () => {
    const rules = parseRules(formatRules(TABLE));
    expect(rules).toHaveLength(SAVED.length);
    const svc = rules.find((r) => r.text.startsWith('-A -u'))!.operation;
    expect(svc).toEqual({
      op: 'addService', service: { protocol: 'udp', address: '192.0.2.3', port: 53 },
      options: { scheduler: 'sh', persistence: { timeout: 30 }, persistenceEngine: 'sip', onePacket: true, schedulerFlags: ['sh-fallback', 'sh-port'] },
    });
    const thresholds = rules.find((r) => r.text.includes('-x 100'))!.operation;
    expect(thresholds).toMatchObject({ options: { upperThreshold: 100, lowerThreshold: 10, weight: 3, forwarding: 'masq' } });
    expect(rules.at(-1)!.operation).toMatchObject({ service: { fwmark: 3000000000 } });
  });

  it('writes local and bypass destinations as -g, as ipvsadm does (rules text has no switch for them)', () => {
    const t: RulesService[] = [{ key: { protocol: 'tcp', address: '192.0.2.1', port: 80 }, config: cfg(), destinations: [
      { key: { address: '127.0.0.1', port: 80 }, config: dcfg({ forwarding: 'local' }) },
    ] }];
    expect(formatRules(t)).toContain('-r 127.0.0.1:80 -g -w 1');
  });
});

const ZERO: Stats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
const entries: ServiceEntry[] = TABLE.map((s) => ({
  key: s.key, config: s.config, stats: { ...ZERO, conns: 123456789n, inBytes: 5n },
  family: ('fwmark' in s.key ? s.key.family ?? 'ipv4' : s.key.address.includes(':') ? 'ipv6' : 'ipv4'),
  destinations: s.destinations.map((d) => ({
    key: d.key, config: d.config, family: d.key.address.includes(':') ? 'ipv6' : 'ipv4',
    connections: { active: 2, inactive: 1, persistent: 4 }, stats: ZERO,
  })),
}));
const INFO = { version: '1.2.1', versionCode: 0x10201, connectionTableSize: 4096 };

describe('formatListing (ipvsadm -L -n)', () => {
  it('the default format', () => {
    const out = formatListing(INFO, entries).split('\n');
    expect(out.slice(0, 3)).toEqual([
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    ]);
    expect(out[3]).toBe('TCP  192.0.2.1:80 rr persistent 360 mask 255.255.255.0');
    expect(out[4]).toBe('  -> 198.51.100.1:80              Route   0      2          1         ');
    expect(out).toContain('UDP  192.0.2.3:53 sh (sh-fallback,sh-port) persistent 30 pe sip ops');
    expect(out).toContain('FWM  5 IPv6 lc persistent 20 mask 64');
    expect(out).toContain('SCTP 192.0.2.4:9 mh (mh-port)');
  });

  it('--tun-info, --thresholds, --persistent-conn', () => {
    const tun = formatListing(INFO, entries, 'tun-info').split('\n');
    expect(tun).toContain('  -> 198.51.100.2:80              Tunnel  gue:6080:+c   1      2          1         ');
    expect(tun).toContain('  -> 198.51.100.3:80              Tunnel  gre:-c        1      2          1         ');
    expect(tun).toContain('  -> [2001:db8::5]:80             Tunnel  ipip          1      2          1         ');
    expect(tun).toContain('  -> 198.51.100.6:8080            Masq    n/a           3      2          1         ');
    const thr = formatListing(INFO, entries, 'thresholds').split('\n');
    expect(thr[1]).toBe('Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ');
    expect(thr).toContain('  -> 198.51.100.6:8080            100        10         2          1         ');
    const pc = formatListing(INFO, entries, 'persistent-conn').split('\n');
    expect(pc).toContain('  -> 198.51.100.6:8080            3         4           2          1         ');
  });

  it('--stats and --rate, scaled and --exact', () => {
    const stats = formatListing(INFO, entries, 'stats').split('\n');
    expect(stats[1]).toBe('Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes');
    expect(stats[3]).toBe('TCP  192.0.2.1:80                  123456K        0        0        5        0');
    expect(formatListing(INFO, entries, 'stats', true).split('\n')[3]).toBe('TCP  192.0.2.1:80                 123456789        0        0        5        0');
    expect(formatListing(INFO, entries, 'rate').split('\n')[1]).toBe('Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS');
  });

  it('largeNumber scales as ipvsadm', () => {
    expect(largeNumber(99_999_999n, false)).toBe(' 99999999');
    expect(largeNumber(100_000_000n, false)).toBe('  100000K');
    expect(largeNumber(1_000_000_000n, false)).toBe('    1000M');
    expect(largeNumber(100_000_000_000n, false)).toBe('     100G');
    expect(largeNumber(100_000_000_000_000n, false)).toBe('     100T');
    expect(largeNumber(123_456_789_012n, true)).toBe(' 123456789012');
  });
});

describe('formatRules: prototype words in the table', () => {
  // Own-property lookups only (issue 8, item 4): 'toString' is a bad value, not Object.prototype's function.
  const bad = (over: { key?: object; forwarding?: string }): RulesService[] => [{
    key: { protocol: 'tcp', address: '192.0.2.1', port: 80, ...over.key } as RulesService['key'],
    config: cfg(),
    destinations: [{ key: { address: '198.51.100.1', port: 80 }, config: dcfg({ forwarding: (over.forwarding ?? 'route') as DestinationConfig['forwarding'] }) }],
  }, { key: { protocol: 'tcp', address: '192.0.2.2', port: 80 }, config: cfg(), destinations: [] }];

  it.each([
    ['forwarding toString', { forwarding: 'toString' }, 'config.forwarding'],
    ['forwarding __proto__', { forwarding: '__proto__' }, 'config.forwarding'],
    ['protocol constructor', { key: { protocol: 'constructor' } }, 'key.protocol'],
    ['family valueOf', { key: { fwmark: 1, family: 'valueOf', protocol: undefined, address: undefined, port: undefined } }, 'key.family'],
  ])('%s is refused naming the field', (_name, over, field) => {
    expect(() => formatRules(bad(over))).toThrow(expect.objectContaining({ code: 'ERR_IPVS_INVALID', field }));
  });
});
