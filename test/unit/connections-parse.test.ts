/**
 * /proc/net/ip_vs_conn and ip_vs_conn_sync as the 6.1 kernel prints them, parsed; every bad
 * field refused with EPROTO naming the line; mutated files never throw anything else; IPv6
 * text exactly as inet_ntop (and so ipvsadm -n) prints it.
 */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import { connectionOptions, connectionsFrom } from '../../lib/connections';
import { CONN_HEADER, SYNC_HEADER, formatIpv6, parseConnectionFile } from '../../lib/connections-parse';
import { IpvsError, IpvsValidationError } from '../../lib/errors';
import { expireText, formatConnections } from '../../lib/cli/connections';
import { seeded as random } from '../helpers/random';

const V4 = 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899';
const V4_TIME_WAIT = 'TCP C6336402 A2C6 C0000201 0050 C633640A 0050 TIME_WAIT       119';
const TEMPLATE = 'IP  C6336401 0000 00000001 0000 C6336409 0000 NONE            359';
const UDP_SIP = 'UDP C6336401 13C4 C0000201 13C4 C6336409 13C4 UDP             299 sip 1234@client.example';
const V6 = 'TCP 2001:0db8:0000:0000:0000:0000:0000:0064 D431 2001:0db8:0000:0000:0000:0000:0000:0001 01BB ' +
  '2001:0db8:0000:0000:0000:0000:0001:0009 01BB SYN_RECV         59';
// An IPv6 service tunnelling to an IPv4 server (the kernel prints DestIP by the destination's family).
const V6_TO_V4 = 'TCP 2001:0db8:0000:0000:0000:0000:0000:0064 D432 2001:0db8:0000:0000:0000:0000:0000:0001 01BB ' +
  'C6336409 01BB ESTABLISHED     900';

const file = (...lines: string[]) => `${[CONN_HEADER, ...lines].join('\n')}\n`;
const sync = (...lines: string[]) => `${[SYNC_HEADER, ...lines].join('\n')}\n`;

function parseError(text: string, which: 'ip_vs_conn' | 'ip_vs_conn_sync' = 'ip_vs_conn'): IpvsError {
  try {
    parseConnectionFile(text, which);
  } catch (err) {
    return err as IpvsError;
  }
  throw new Error('parsed');
}

describe('parseConnectionFile', () => {
  it('reads every field of IPv4, IPv6, template, mixed-family and persistence-engine lines', () => {
    const entries = parseConnectionFile(file(V4, TEMPLATE, UDP_SIP, V6, V6_TO_V4), 'ip_vs_conn');
    expect(entries.map(({ id: _id, ...e }) => e)).toEqual([
      {
        protocol: 'tcp', family: 'ipv4', client: { address: '198.51.100.1', port: 41668 },
        virtual: { address: '192.0.2.1', port: 80 }, destination: { address: '198.51.100.9', port: 80 },
        state: 'ESTABLISHED', expires: 899, persistenceEngine: null,
      },
      {
        protocol: 'ip', family: 'ipv4', client: { address: '198.51.100.1', port: 0 },
        virtual: { address: '0.0.0.1', port: 0 }, destination: { address: '198.51.100.9', port: 0 },
        state: 'NONE', expires: 359, persistenceEngine: null,
      },
      {
        protocol: 'udp', family: 'ipv4', client: { address: '198.51.100.1', port: 5060 },
        virtual: { address: '192.0.2.1', port: 5060 }, destination: { address: '198.51.100.9', port: 5060 },
        state: 'UDP', expires: 299, persistenceEngine: { name: 'sip', data: '1234@client.example' },
      },
      {
        protocol: 'tcp', family: 'ipv6', client: { address: '2001:db8::64', port: 54321 },
        virtual: { address: '2001:db8::1', port: 443 }, destination: { address: '2001:db8::1:9', port: 443 },
        state: 'SYN_RECV', expires: 59, persistenceEngine: null,
      },
      {
        protocol: 'tcp', family: 'ipv6', client: { address: '2001:db8::64', port: 54322 },
        virtual: { address: '2001:db8::1', port: 443 }, destination: { address: '198.51.100.9', port: 443 },
        state: 'ESTABLISHED', expires: 900, persistenceEngine: null,
      },
    ]);
  });

  it('an empty table is the header alone', () => {
    expect(parseConnectionFile(file(), 'ip_vs_conn')).toEqual([]);
    expect(parseConnectionFile(sync(), 'ip_vs_conn_sync')).toEqual([]);
  });

  it('reads the sync file\'s origin column, and joins PE data from ip_vs_conn by addresses and ports', () => {
    const conn = Buffer.from(file(V4, UDP_SIP), 'latin1');
    const syncFile = Buffer.from(sync(
      'UDP C6336401 13C4 C0000201 13C4 C6336409 13C4 UDP         SYNC       298',
      'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED LOCAL      899',
      'TCP C6336402 A2C6 C0000201 0050 C633640A 0050 TIME_WAIT   LOCAL      119',
    ), 'latin1');
    const entries = connectionsFrom([conn, syncFile], true);
    expect(entries.map((e) => [e.client.port, e.origin, e.expires, e.persistenceEngine])).toEqual([
      [5060, 'sync', 298, { name: 'sip', data: '1234@client.example' }],
      [41668, 'local', 899, null],
      [41670, 'local', 119, null],
    ]);
    expect(connectionsFrom([conn], false).every((e) => !('origin' in e))).toBe(true);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['unknown protocol', 'ICMP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899', /unknown protocol "ICMP"/],
    ['lower-case IPv4 hex', 'TCP c6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899', /FromIP "c6336401"/],
    ['client and virtual of two families', 'TCP C6336401 A2C4 2001:0db8:0000:0000:0000:0000:0000:0001 0050 C6336409 0050 ESTABLISHED     899', /ToIP/],
    ['a compressed IPv6 address', 'TCP 2001:db8::64 A2C4 2001:db8::1 0050 C6336409 0050 ESTABLISHED     899', /FromIP "2001:db8::64"/],
    ['a short port', 'TCP C6336401 A2C 0C0000201 0050 C6336409 0050 ESTABLISHED     899', /FPrt/],
    ['a port of 5 digits', 'TCP C6336401 A2C4 C0000201 10050 C6336409 0050 ESTABLISHED     899', /TPrt "10050"/],
    ['a bad destination', 'TCP C6336401 A2C4 C0000201 0050 C633640 0050 ESTABLISHED     899', /DestIP "C633640"/],
    ['a lower-case state', 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 established     899', /State/],
    ['a negative expiry', 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED    -899', /Expires "-899"/],
    ['an expiry past 32 bits', 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED 4294967296', /Expires/],
    ['an expiry with a leading zero', 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     099', /Expires/],
    ['tabs for spaces', 'TCP\tC6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899', /fields/],
    ['wrong padding', 'TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED 899', /spacing/],
    ['a field missing', 'TCP C6336401 A2C4 C0000201 0050 C6336409 ESTABLISHED     899', /fields|DPrt|State/],
    ['a PE name without data separator', `${V4} sip`, /fields|spacing/],
    ['a PE name too long', `${V4} abcdefghijklmnop x`, /PEName/],
    ['PE data over 255 bytes', `${V4} sip ${'x'.repeat(256)}`, /PEData/],
    ['a __proto__ protocol', '__proto__ C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899', /unknown protocol/],
    ['a constructor protocol', 'constructor C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED     899', /unknown protocol/],
  ];
  for (const [what, line, why] of bad) {
    it(`refuses ${what} with EPROTO naming line 3`, () => {
      const err = parseError(file(V4_TIME_WAIT, line));
      expect(err).toBeInstanceOf(IpvsError);
      expect(err.code).toBe('EPROTO');
      expect(err.operation).toBe('listConnections');
      expect(err.object).toMatch(/^line 3 of \/proc\/net\/ip_vs_conn /);
      expect(err.object).toMatch(why);
    });
  }

  it('refuses a wrong header, a missing final newline, a bad origin, and an empty file', () => {
    expect(parseError(`${CONN_HEADER.replace('PEData', 'PEDATA')}\n`).object).toMatch(/line 1 .*header/);
    expect(parseError(`${CONN_HEADER}\n${V4}`).object).toMatch(/line 2 .*no newline/);
    expect(parseError('').object).toMatch(/line 1/);
    expect(parseError(file(V4), 'ip_vs_conn_sync').object).toMatch(/line 1 of \/proc\/net\/ip_vs_conn_sync/);
    expect(parseError(sync('TCP C6336401 A2C4 C0000201 0050 C6336409 0050 ESTABLISHED REMOTE     899'), 'ip_vs_conn_sync').object)
      .toMatch(/Origin "REMOTE"/);
  });

  it('cuts a long bad line in the message', () => {
    const err = parseError(file(`${'X'.repeat(100_000)}`));
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('the connection file parser under abuse', () => {
  it('20,000 mutated files parse or throw IpvsError EPROTO, nothing else', () => {
    const next = random(8);
    const base = file(V4, TEMPLATE, UDP_SIP, V6, V6_TO_V4, V4_TIME_WAIT);
    const alphabet = ' \n\t:0123456789ABCDEFabcdef-_xyzTCPUDP\u0000\u00ff\u2028';
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const chars = [...base];
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * chars.length);
        const op = next();
        const ch = alphabet[Math.floor(next() * alphabet.length)];
        if (op < 0.4) chars[at] = ch;
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, ch);
      }
      const text = chars.join('');
      try {
        const entries = parseConnectionFile(text, 'ip_vs_conn');
        for (const entry of entries) {
          expect(entry.client.port).toBeLessThanOrEqual(0xffff);
          expect(Number.isInteger(entry.expires)).toBe(true);
        }
      } catch (err) {
        refused++;
        expect(err).toBeInstanceOf(IpvsError);
        expect((err as IpvsError).code).toBe('EPROTO');
      }
    }
    expect(refused).toBeGreaterThan(10_000);
  });
});

describe('formatIpv6', () => {
  it('prints exactly what inet_ntop prints, for 20,000 addresses rich in zero runs', () => {
    const next = random(6);
    const { canonicalAddress } = native();
    const special = [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201],
      [0, 0, 0, 0, 0, 0, 0xc000, 0x0201], [0, 0, 0, 0, 0, 0, 0, 0xc000], [1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0xffff, 0, 1, 2]];
    const cases = [...special];
    for (let i = 0; i < 20_000; i++)
      cases.push(Array.from({ length: 8 }, () => (next() < 0.6 ? 0 : next() < 0.1 ? 0xffff : Math.floor(next() * 0x10000))));
    for (const words of cases) {
      const full = words.map((w) => w.toString(16).padStart(4, '0')).join(':');
      expect(formatIpv6(words)).toBe(canonicalAddress(full));
    }
  });
});

describe('listConnections options', () => {
  it('takes timeout and origin, own properties only', () => {
    expect(connectionOptions(undefined, 500)).toEqual({ timeout: 500, origin: false });
    expect(connectionOptions({ origin: true, timeout: 7 }, 500)).toEqual({ timeout: 7, origin: true });
    for (const bad of [{ origin: 'yes' }, { timeout: 0 }, { constructor: 1 }, { toString: true }, JSON.parse('{"__proto__":1}'), null, []])
      expect(() => connectionOptions(bad as never, 500)).toThrow(IpvsValidationError);
  });
});

describe('formatConnections (ipvsadm -L -n -c)', () => {
  it('prints ipvsadm\'s header and columns, mm:ss expiry, IPv6 in brackets', () => {
    const entries = connectionsFrom([Buffer.from(file(V4, TEMPLATE, V6), 'latin1')], false);
    expect(formatConnections(entries)).toBe([
      'IPVS connection entries',
      'pro expire state       source             virtual            destination',
      'TCP 14:59  ESTABLISHED 198.51.100.1:41668 192.0.2.1:80       198.51.100.9:80',
      'IP  05:59  NONE        198.51.100.1:0     0.0.0.1:0          198.51.100.9:0',
      'TCP 00:59  SYN_RECV    [2001:db8::64]:54321 [2001:db8::1]:443  [2001:db8::1:9]:443',
      '',
    ].join('\n'));
  });

  it('with --persistent-conn, shows the PE name and the first word of its data as ipvsadm does', () => {
    const entries = connectionsFrom([Buffer.from(file(UDP_SIP, V4), 'latin1')], false);
    expect(formatConnections(entries, true)).toBe([
      'IPVS connection entries',
      'pro expire state       source             virtual            destination        pe name          pe_data',
      'UDP 04:59  UDP         198.51.100.1:5060  192.0.2.1:5060     198.51.100.9:5060 sip                1234@client.example',
      'TCP 14:59  ESTABLISHED 198.51.100.1:41668 192.0.2.1:80       198.51.100.9:80',
      '',
    ].join('\n'));
  });

  it('minutes past 99 widen the column as %02d does', () => {
    expect([expireText(0), expireText(61), expireText(6000), expireText(359999)]).toEqual(['00:00', '01:01', '100:00', '5999:59']);
  });
});
