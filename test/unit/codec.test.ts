/**
 * The addon's real encoder and decoder against bytes built independently:
 * ports and the tunnel port in network order, fwmark as a host u32, flags as
 * the {flags, mask} struct, IPv4 netmask as network-order bytes.
 */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import { CMD } from '../../lib/constants';
import {
  NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, be16, be32, genlMessage, ipv4, nest, nla, str, u16, u32, u64, u8,
} from '../helpers/netlink';

const FAMILY = 28;
const { encodeRequest, decodeRecord } = native();

const V4_SERVICE = { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0 };

function serviceKeyAttrs(): Buffer[] {
  return [nla(1, u16(2)), nla(2, u16(6)), nla(3, ipv4('192.0.2.1')), nla(4, be16(80))];
}

describe('encoding', () => {
  it('NEW_SERVICE: every attribute, byte for byte', () => {
    const bytes = encodeRequest({
      cmd: CMD.NEW_SERVICE,
      service: { ...V4_SERVICE, scheduler: 'rr', persistenceEngine: 'sip', flags: 0x1 | 0x10, timeout: 300, netmask: 0xffffff00 },
    }, FAMILY, 7);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 7, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(),
        nla(6, str('rr')), nla(11, str('sip')),
        nla(7, Buffer.concat([u32(0x11), u32(0xffffffff)])),
        nla(8, u32(300)), nla(9, be32(0xffffff00))));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('a fwmark service key: family and u32 mark only', () => {
    const bytes = encodeRequest({ cmd: CMD.DEL_SERVICE, service: { family: 10, protocol: 0, fwmark: 0xfffffffe } }, FAMILY, 1);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 1, cmd: CMD.DEL_SERVICE },
      nest(1, nla(1, u16(10)), nla(5, u32(0xfffffffe))));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('IPv6 netmask is a plain prefix length', () => {
    const bytes = encodeRequest({ cmd: CMD.SET_SERVICE, service: { family: 10, protocol: 6, address: '2001:db8::1', port: 443, fwmark: 0, scheduler: 'sh', flags: 1, timeout: 60, netmask: 64 } }, FAMILY, 2);
    expect(bytes.subarray(-8).toString('hex')).toBe(nla(9, u32(64)).toString('hex'));
  });

  it('NEW_DEST with a GUE tunnel: ports in network order', () => {
    const bytes = encodeRequest({
      cmd: CMD.NEW_DEST,
      service: V4_SERVICE,
      destination: { family: 2, address: '203.0.113.9', port: 8080, forwarding: 2, weight: 5, upperThreshold: 100, lowerThreshold: 10, tunnelType: 1, tunnelPort: 6080, tunnelFlags: 2 },
    }, FAMILY, 9);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 9, cmd: CMD.NEW_DEST },
      nest(1, ...serviceKeyAttrs()),
      nest(2, nla(1, ipv4('203.0.113.9')), nla(2, be16(8080)), nla(11, u16(2)),
        nla(3, u32(2)), nla(4, u32(5)), nla(5, u32(100)), nla(6, u32(10)),
        nla(13, u8(1)), nla(14, be16(6080)), nla(15, u16(2))));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('DEL_DEST carries the destination key only', () => {
    const bytes = encodeRequest({ cmd: CMD.DEL_DEST, service: V4_SERVICE, destination: { family: 2, address: '203.0.113.9', port: 80, weight: 9 } }, FAMILY, 3);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 3, cmd: CMD.DEL_DEST },
      nest(1, ...serviceKeyAttrs()), nest(2, nla(1, ipv4('203.0.113.9')), nla(2, be16(80)), nla(11, u16(2))));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('a dump request has NLM_F_DUMP and no ACK flag', () => {
    const bytes = encodeRequest({ cmd: CMD.GET_SERVICE, dump: true }, FAMILY, 4);
    expect(bytes.toString('hex')).toBe(genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 4, cmd: CMD.GET_SERVICE }).toString('hex'));
  });

  it('NEW_DAEMON: the multicast port travels unswapped, the group as 4 bytes', () => {
    const bytes = encodeRequest({ cmd: CMD.NEW_DAEMON, daemon: { state: 1, interface: 'eth0', syncId: 7, maxLength: 1400, group: '224.0.0.81', port: 8848, ttl: 2 } }, FAMILY, 5);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 5, cmd: CMD.NEW_DAEMON },
      nest(3, nla(1, u32(1)), nla(2, str('eth0')), nla(3, u32(7)), nla(4, u16(1400)),
        nla(5, Buffer.from([224, 0, 0, 81])), nla(7, u16(8848)), nla(8, u8(2))));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('SET_CONFIG: three u32 timeouts, 0 meaning unchanged', () => {
    const bytes = encodeRequest({ cmd: CMD.SET_CONFIG, timeouts: { tcp: 0, tcpFin: 0, udp: 42 } }, FAMILY, 6);
    const expected = genlMessage({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 6, cmd: CMD.SET_CONFIG },
      nla(4, u32(0)), nla(5, u32(0)), nla(6, u32(42)));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('the native edge rejects malformed requests with TypeError, never crashes', () => {
    const bad = [
      null, 42, {}, { cmd: 300 }, { cmd: 1, service: 'x' },
      { cmd: 1, service: { family: 3, protocol: 6, address: '192.0.2.1', port: 1 } },
      { cmd: 1, service: { family: 2, protocol: 6, address: 'nope', port: 1 } },
      { cmd: 1, service: { family: 2, protocol: 6, address: '192.0.2.1', port: 70000 } },
      { cmd: 1, service: { ...V4_SERVICE, scheduler: 'x'.repeat(16) } },
      { cmd: 5, service: V4_SERVICE, destination: { family: 2, address: '192.0.2.9', port: 1, weight: 2 ** 31 } },
    ];
    for (const request of bad) expect(() => encodeRequest(request as never, FAMILY, 1)).toThrow(TypeError);
  });
});

function stats64(base: bigint): Buffer {
  return Buffer.concat(Array.from({ length: 10 }, (_, i) => nla(i + 1, u64(base + BigInt(i)))));
}

describe('decoding', () => {
  it('a service reply, preferring 64-bit stats and ignoring unknown attributes', () => {
    const msg = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(), nla(6, str('wlc')),
        nla(7, Buffer.concat([u32(0x1 | 0x2 | 0x8), u32(0xffffffff)])), nla(8, u32(360)), nla(9, be32(0xffffff00)),
        nest(10, nla(1, u32(1))), nest(12, stats64(2n ** 40n)), nla(60, u32(99))),
      nla(50, u32(7)));
    const record = decodeRecord(msg);
    expect(record.service).toEqual({
      family: 2, protocol: 6, fwmark: 0, address: '192.0.2.1', port: 80, scheduler: 'wlc', persistenceEngine: '',
      flags: 0xb, timeout: 360, netmask: 0xffffff00,
      stats: {
        conns: 2n ** 40n, inPackets: 2n ** 40n + 1n, outPackets: 2n ** 40n + 2n, inBytes: 2n ** 40n + 3n, outBytes: 2n ** 40n + 4n,
        cps: 2n ** 40n + 5n, inPps: 2n ** 40n + 6n, outPps: 2n ** 40n + 7n, inBps: 2n ** 40n + 8n, outBps: 2n ** 40n + 9n,
      },
    });
  });

  it('without stats (save, getTable(…, false)) the counters are skipped, not decoded: a bad stats nest is not even read', () => {
    const badStats = nest(12, nla(1, u16(1))); // conns as 2 bytes where 8 belong
    const svc = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(), nla(6, str('rr')), badStats));
    expect(() => decodeRecord(svc)).toThrow(/malformed/);
    expect(decodeRecord(svc, false).service).toMatchObject({ address: '192.0.2.1', port: 80, scheduler: 'rr' });
    expect(decodeRecord(svc, false).service!.stats).toBeUndefined();
    const dest = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_DEST },
      nest(2, nla(1, ipv4('198.51.100.7')), nla(2, be16(8080)), nla(11, u16(2)), nest(12, stats64(5n))));
    expect(decodeRecord(dest).destination!.stats).toMatchObject({ conns: 5n });
    expect(decodeRecord(dest, false).destination).toMatchObject({ address: '198.51.100.7', port: 8080 });
    expect(decodeRecord(dest, false).destination!.stats).toBeUndefined();
  });

  it('falls back to the 32-bit stats nest (bytes are 64-bit there too)', () => {
    const msg = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_DEST },
      nest(2, nla(1, ipv4('198.51.100.7')), nla(2, be16(8080)), nla(3, u32(3)), nla(4, u32(2)), nla(5, u32(0)), nla(6, u32(0)),
        nla(7, u32(4)), nla(8, u32(5)), nla(9, u32(6)), nla(11, u16(2)),
        nest(10, nla(1, u32(10)), nla(2, u32(11)), nla(3, u32(12)), nla(4, u64(13n)), nla(5, u64(14n)))));
    const d = decodeRecord(msg).destination!;
    expect(d).toMatchObject({ address: '198.51.100.7', port: 8080, forwarding: 3, weight: 2, activeConns: 4, inactiveConns: 5, persistentConns: 6 });
    expect(d.stats).toMatchObject({ conns: 10n, inPackets: 11n, outPackets: 12n, inBytes: 13n, outBytes: 14n, cps: 0n });
    expect(d.tunnelType).toBeUndefined();
  });

  it('an IPv6 destination of an IPv4 service, with its tunnel port', () => {
    const addr = Buffer.from('20010db8000000000000000000000020', 'hex');
    const msg = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_DEST },
      nest(2, nla(1, addr), nla(2, be16(80)), nla(3, u32(2)), nla(4, u32(1)), nla(11, u16(10)),
        nla(13, u8(1)), nla(14, be16(6080)), nla(15, u16(1))));
    expect(decodeRecord(msg).destination).toMatchObject({ family: 10, address: '2001:db8::20', tunnelType: 1, tunnelPort: 6080, tunnelFlags: 1 });
  });

  it('info and config replies', () => {
    const info = genlMessage({ type: FAMILY, flags: 0, seq: 1, cmd: CMD.SET_INFO }, nla(1, u32(0x010201)), nla(2, u32(4096)));
    expect(decodeRecord(info).info).toEqual({ version: 0x010201, connTableSize: 4096 });
    const config = genlMessage({ type: FAMILY, flags: 0, seq: 1, cmd: CMD.SET_CONFIG }, nla(4, u32(900)), nla(5, u32(120)), nla(6, u32(300)));
    expect(decodeRecord(config).timeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('rejects attributes shorter than their type', () => {
    const shortAddr = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, nla(1, u16(2)), nla(2, u16(6)), nla(3, Buffer.from([192, 0])), nla(4, be16(80))));
    expect(() => decodeRecord(shortAddr)).toThrow(/malformed/);
    const shortFlags = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(), nla(7, u32(1))));
    expect(() => decodeRecord(shortFlags)).toThrow(/malformed/);
    const unterminated = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(), nla(6, Buffer.from('rr'))));
    expect(() => decodeRecord(unterminated)).toThrow(/malformed/);
    const badFamily = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE }, nest(1, nla(1, u16(7))));
    expect(() => decodeRecord(badFamily)).toThrow(/malformed/);
  });

  it('survives 5000 random and truncated messages without crashing', () => {
    const valid = genlMessage({ type: FAMILY, flags: 2, seq: 1, cmd: CMD.NEW_SERVICE },
      nest(1, ...serviceKeyAttrs(), nla(6, str('rr')), nest(12, stats64(1n))));
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.from(valid);
      const cut = i % 3 === 0 ? 20 + (rand() % (buf.length - 20)) : buf.length;
      for (let k = 0; k < 1 + (i % 6); k++) buf[20 + (rand() * 7 + k) % (buf.length - 20)] = rand();
      const msg = buf.subarray(0, cut);
      msg.writeUInt32LE(msg.length, 0);
      try {
        decodeRecord(msg);
      } catch (err) {
        expect((err as Error).message).toMatch(/malformed/);
      }
    }
  });
});
