/**
 * The VRRPv3 codec byte for byte (native/vrrp_packet.cc through the addon's test hooks): adverts
 * keepalived 2.2.7 sent in the sandbox, adverts built by hand from RFC 5798 §5 with the checksum
 * computed here independently, every kind of malformed packet and the reason it is dropped for, the
 * GARP and NA frames; and the TypeScript validation in front of the socket.
 */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import { IpvsValidationError } from '../../lib/errors';
import { announceAddresses } from '../../lib/vrrp/announce';
import { checkAdvert, VrrpSocket } from '../../lib/vrrp/socket';

const codec = native().vrrpCodec;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Captured from keepalived 2.2.7 (`vrrp_version 3`) with a raw socket in a sandbox namespace:
// instance VRID 51, priority 100, advert_int 1, VIPs 192.0.2.100 and .101, from 192.0.2.1 ...
const KEEPALIVED_V4 = hex(`45c0 0024 0004 0000 ff70 1892 c000 0201 e000 0012
                           3133 6402 0064 4307 c000 0264 c000 0265`);
// ... and VRID 52, priority 150, advert_int 0.5, VIP 2001:db8::100, from fe80::ff:fe00:a (MAC 02:00:00:00:00:0a).
const KEEPALIVED_V6 = hex('3134 9601 0032 0cb7 2001 0db8 0000 0000 0000 0000 0000 0100');
const KA_V6_SOURCE = 'fe80::ff:fe00:a';

/** RFC 1071 over the pseudo-header of RFC 5798 §5.2.8 and the message, written apart from the addon's. */
function rfcChecksum(src: Buffer, dst: Buffer, message: Buffer): number {
  const pseudo = src.length === 4
    ? Buffer.concat([src, dst, Buffer.from([0, 112]), u16(message.length)])
    : Buffer.concat([src, dst, Buffer.from([0, 0]), u16(message.length), Buffer.from([0, 0, 0, 112])]);
  const all = Buffer.concat([pseudo, message, Buffer.alloc(message.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const v4 = (s: string) => Buffer.from(s.split('.').map(Number));
const v6 = (s: string) => {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
};

/** An IPv4 datagram around a VRRP message, header fields as a raw socket reads them. */
function datagram(message: Buffer, { ttl = 255, src = '192.0.2.1', dst = '224.0.0.18', protocol = 112, ihl = 5, total = 0, version = 4 } = {}): Buffer {
  const h = Buffer.alloc(ihl * 4);
  h[0] = (version << 4) | ihl;
  h.writeUInt16BE(total || ihl * 4 + message.length, 2);
  h[8] = ttl;
  h[9] = protocol;
  v4(src).copy(h, 12);
  v4(dst).copy(h, 16);
  return Buffer.concat([h, message]);
}

/** A message built field by field from RFC 5798 §5.2, checksum from rfcChecksum. */
function handBuilt(vrid: number, priority: number, intervalCs: number, addresses: Buffer[], src: Buffer, dst: Buffer, { version = 3, type = 1, count = addresses.length } = {}): Buffer {
  const m = Buffer.concat([Buffer.from([(version << 4) | type, vrid, priority, count]), u16(intervalCs), u16(0), ...addresses]);
  m.writeUInt16BE(rfcChecksum(src, dst, m), 6);
  return m;
}

describe('keepalived fixtures', () => {
  it("decodes keepalived's IPv4 advert and encodes the same advert to the same bytes", () => {
    const advert = codec.decodeIpv4(KEEPALIVED_V4);
    expect(advert).toEqual({ family: 'inet', vrid: 51, priority: 100, intervalCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], source: '192.0.2.1' });
    const { source: _s, ...fields } = advert as Exclude<typeof advert, string>;
    expect(codec.encode(fields, '192.0.2.1', '224.0.0.18')).toEqual(KEEPALIVED_V4.subarray(20));
  });

  it("decodes keepalived's IPv6 advert (interval 50 cs) and encodes it to the same bytes", () => {
    const advert = codec.decodeIpv6(KEEPALIVED_V6, KA_V6_SOURCE, 'ff02::12', 255);
    expect(advert).toEqual({ family: 'inet6', vrid: 52, priority: 150, intervalCs: 50, addresses: ['2001:db8::100'], source: KA_V6_SOURCE });
    expect(codec.encode({ family: 'inet6', vrid: 52, priority: 150, intervalCs: 50, addresses: ['2001:db8::100'] }, KA_V6_SOURCE, 'ff02::12'))
      .toEqual(KEEPALIVED_V6);
  });

  it('its checksum covers the pseudo-header: another source or destination breaks it', () => {
    expect(codec.decodeIpv4(datagram(KEEPALIVED_V4.subarray(20), { src: '192.0.2.9' }))).toBe('checksum');
    expect(codec.decodeIpv4(datagram(KEEPALIVED_V4.subarray(20), { dst: '192.0.2.2' }))).toBe('checksum');
    expect(codec.decodeIpv6(KEEPALIVED_V6, 'fe80::1', 'ff02::12', 255)).toBe('checksum');
    expect(codec.decodeIpv6(KEEPALIVED_V6, KA_V6_SOURCE, 'fe80::2', 255)).toBe('checksum');
  });
});

describe('hand-built from RFC 5798', () => {
  it('IPv4, three addresses, the 12-bit interval at its maximum, unicast destination', () => {
    const addrs = ['198.51.100.1', '198.51.100.2', '203.0.113.7'];
    const expected = handBuilt(255, 254, 4095, addrs.map(v4), v4('192.0.2.1'), v4('192.0.2.2'));
    expect(expected.subarray(0, 6)).toEqual(hex('31 ff fe 03 0f ff'));
    expect(codec.encode({ family: 'inet', vrid: 255, priority: 254, intervalCs: 4095, addresses: addrs }, '192.0.2.1', '192.0.2.2')).toEqual(expected);
    expect(codec.decodeIpv4(datagram(expected, { dst: '192.0.2.2' }))).toMatchObject({ vrid: 255, priority: 254, intervalCs: 4095, addresses: addrs });
  });

  it('IPv6, priority 0 (a master leaving), 255 addresses (the most a count byte holds)', () => {
    const addrs = Array.from({ length: 255 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
    const expected = handBuilt(1, 0, 1, addrs.map(v6), v6('fe80::1'), v6('ff02::12'));
    expect(expected).toHaveLength(8 + 255 * 16);
    expect(codec.encode({ family: 'inet6', vrid: 1, priority: 0, intervalCs: 1, addresses: addrs }, 'fe80::1', 'ff02::12')).toEqual(expected);
    expect(codec.decodeIpv6(expected, 'fe80::1', 'ff02::12', 255)).toMatchObject({ priority: 0, addresses: addrs });
  });

  it('the reserved bits of the interval field are ignored on receive', () => {
    const m = handBuilt(7, 100, 0xf064, [v4('192.0.2.100')], v4('192.0.2.1'), v4('224.0.0.18'));
    expect(codec.decodeIpv4(datagram(m))).toMatchObject({ intervalCs: 100 });
  });

  it('IP options before the VRRP message are skipped by the header length', () => {
    const m = KEEPALIVED_V4.subarray(20);
    expect(codec.decodeIpv4(datagram(m, { ihl: 6 }))).toMatchObject({ vrid: 51 });
  });
});

describe('every malformed packet has its reason', () => {
  const src = v4('192.0.2.1');
  const dst = v4('224.0.0.18');
  const good = handBuilt(9, 100, 100, [v4('192.0.2.100')], src, dst);
  const cases: [string, Buffer, string][] = [
    ['an empty datagram', Buffer.alloc(0), 'short'],
    ['19 bytes of IP header', datagram(good).subarray(0, 19), 'short'],
    ['an IP header and 7 bytes of VRRP', datagram(good.subarray(0, 7)), 'short'],
    ['IP version 6 in an IPv4 socket', datagram(good, { version: 6 }), 'family'],
    ['a header length under 20', datagram(good, { ihl: 4 }), 'length'],
    ['a header length past the datagram', Buffer.concat([Buffer.from([0x4f]), datagram(good).subarray(1, 30)]), 'length'],
    ['a total length longer than what arrived', datagram(good, { total: 20 + good.length + 4 }), 'length'],
    ['a total length shorter than what arrived', datagram(good, { total: 20 + good.length - 4 }), 'length'],
    ['another protocol', datagram(good, { protocol: 51 }), 'type'],
    ['TTL 64', datagram(good, { ttl: 64 }), 'ttl'],
    ['TTL 254 (one router crossed)', datagram(good, { ttl: 254 }), 'ttl'],
    ['VRRP version 2', datagram(handBuilt(9, 100, 1, [v4('192.0.2.100')], src, dst, { version: 2 })), 'version'],
    ['VRRP version 4', datagram(handBuilt(9, 100, 1, [v4('192.0.2.100')], src, dst, { version: 4 })), 'version'],
    ['type 2 (not an advertisement)', datagram(handBuilt(9, 100, 100, [v4('192.0.2.100')], src, dst, { type: 2 })), 'type'],
    ['a flipped checksum bit', datagram(Buffer.from(good).fill(good[7] ^ 1, 7, 8)), 'checksum'],
    ['a flipped address bit', datagram(Buffer.from(good).fill(good[11] ^ 1, 11, 12)), 'checksum'],
    ['a count of 2 with one address', datagram(handBuilt(9, 100, 100, [v4('192.0.2.100')], src, dst, { count: 2 })), 'address-count'],
    ['a count of 0', datagram(handBuilt(9, 100, 100, [], src, dst)), 'address-count'],
    ['an extra address beyond the count', datagram(handBuilt(9, 100, 100, [v4('192.0.2.100'), v4('192.0.2.101')], src, dst, { count: 1 })), 'length'],
    ['an IPv6-sized address in IPv4', datagram(handBuilt(9, 100, 100, [v6('2001:db8::1')], src, dst)), 'length'],
    ['an interval of 0', datagram(handBuilt(9, 100, 0, [v4('192.0.2.100')], src, dst)), 'interval'],
  ];
  it.each(cases)('%s', (_what, packet, reason) => {
    expect(codec.decodeIpv4(packet)).toBe(reason);
  });

  it('IPv6: hop limit other than 255, short, an IPv4-sized address, a bad checksum', () => {
    const s = v6('fe80::1');
    const d = v6('ff02::12');
    const m = handBuilt(9, 100, 100, [v6('2001:db8::100')], s, d);
    expect(codec.decodeIpv6(m, 'fe80::1', 'ff02::12', 255)).toMatchObject({ vrid: 9 });
    expect(codec.decodeIpv6(m, 'fe80::1', 'ff02::12', 64)).toBe('ttl');
    expect(codec.decodeIpv6(m.subarray(0, 7), 'fe80::1', 'ff02::12', 255)).toBe('short');
    expect(codec.decodeIpv6(handBuilt(9, 100, 100, [v4('192.0.2.1')], s, d), 'fe80::1', 'ff02::12', 255)).toBe('address-count');
    expect(codec.decodeIpv6(Buffer.from(m).fill(0, 6, 8), 'fe80::1', 'ff02::12', 255)).toBe('checksum');
  });
});

describe('encoding refuses what the wire cannot carry', () => {
  const base = { family: 'inet' as const, vrid: 1, priority: 100, intervalCs: 100, addresses: ['192.0.2.100'] };
  it.each([
    ['vrid 0', { ...base, vrid: 0 }],
    ['interval 0', { ...base, intervalCs: 0 }],
    ['no address', { ...base, addresses: [] }],
    ['an IPv6 address in an IPv4 advert', { ...base, addresses: ['2001:db8::1'] }],
  ])('%s', (_what, advert) => {
    expect(() => codec.encode(advert, '192.0.2.1', '224.0.0.18')).toThrow(TypeError);
  });
});

describe('announcement frames', () => {
  const mac = hex('02 00 00 00 00 0a');
  it('gratuitous ARP: a broadcast request from and for the VIP, as keepalived sends it', () => {
    expect(codec.gratuitousArp(mac, '192.0.2.100')).toEqual(hex(`
      ffffffffffff 02000000000a 0806
      0001 0800 06 04 0001 02000000000a c0000264 ffffffffffff c0000264`));
  });

  it('unsolicited NA: to ff02::1 from the VIP, hop limit 255, override flag, target link-layer option', () => {
    const frame = codec.unsolicitedNa(mac, '2001:db8::100', false);
    const icmp = Buffer.concat([hex('88 00 0000 20000000'), v6('2001:db8::100'), hex('02 01 02000000000a')]);
    icmp.writeUInt16BE(icmpChecksum(v6('2001:db8::100'), v6('ff02::1'), icmp), 2);
    expect(frame).toEqual(Buffer.concat([hex('333300000001 02000000000a 86dd'), hex('60000000 0020 3a ff'), v6('2001:db8::100'), v6('ff02::1'), icmp]));
    expect(codec.unsolicitedNa(mac, '2001:db8::100', true)[14 + 40 + 4]).toBe(0xa0); // router + override
  });
});

function icmpChecksum(src: Buffer, dst: Buffer, message: Buffer): number {
  const all = Buffer.concat([src, dst, Buffer.from([0, 0]), u16(message.length), Buffer.from([0, 0, 0, 58]), message]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('validation before the socket', () => {
  const open = (o: unknown) => VrrpSocket.open(o as never);
  it.each([
    ['no object', null, 'options'],
    ['an unknown option', { interface: 'eth0', family: 'inet', ttl: 1 }, 'options.ttl'],
    ['__proto__ as an option', JSON.parse('{"interface":"eth0","family":"inet","__proto__":{}}'), 'options.__proto__'],
    ['a bad interface name', { interface: 'eth0/x', family: 'inet' }, 'options.interface'],
    ['an unknown family', { interface: 'eth0', family: 'ipv4' }, 'options.family'],
    ['an IPv6 peer on an IPv4 socket', { interface: 'eth0', family: 'inet', peers: ['2001:db8::1'] }, 'options.peers[0]'],
    ['a multicast peer', { interface: 'eth0', family: 'inet', peers: ['224.0.0.18'] }, 'options.peers[0]'],
    ['no peers in the list', { interface: 'eth0', family: 'inet', peers: [] }, 'options.peers'],
    ['a source of the other family', { interface: 'eth0', family: 'inet6', source: '192.0.2.1' }, 'options.source'],
    ['a zero timeout', { interface: 'eth0', family: 'inet', timeout: 0 }, 'options.timeout'],
  ])('%s', async (_what, options, field) => {
    await expect(open(options)).rejects.toMatchObject({ name: 'IpvsValidationError', field });
  });

  it.each([
    ['vrid 0', { vrid: 0 }, 'advert.vrid'],
    ['priority 256', { priority: 256 }, 'advert.priority'],
    ['interval 4096', { intervalCs: 4096 }, 'advert.intervalCs'],
    ['interval 1.5', { intervalCs: 1.5 }, 'advert.intervalCs'],
    ['256 addresses', { addresses: Array.from({ length: 256 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) }, 'advert.addresses'],
    ['an IPv6 address in an IPv4 advert', { addresses: ['2001:db8::1'] }, 'advert.addresses[0]'],
    ['an extra field', { ttl: 255 }, 'advert.ttl'],
  ])('an advert with %s', (_what, change, field) => {
    const advert = { family: 'inet', vrid: 1, priority: 100, intervalCs: 100, addresses: ['192.0.2.100'], ...change };
    expect(() => checkAdvert(advert)).toThrow(IpvsValidationError);
    try {
      checkAdvert(advert);
    } catch (e) {
      expect((e as IpvsValidationError).field).toBe(field);
    }
  });

  it('announceAddresses checks its addresses and options', async () => {
    await expect(announceAddresses({ interface: 'eth0', addresses: [] })).rejects.toMatchObject({ field: 'options.addresses' });
    await expect(announceAddresses({ interface: 'eth0', addresses: ['ff02::1'] })).rejects.toMatchObject({ field: 'options.addresses[0]' });
    await expect(announceAddresses({ interface: 'eth0', addresses: ['192.0.2.1'], router: 1 } as never)).rejects.toMatchObject({ field: 'options.router' });
  });
});

describe('the native edge refuses bad arguments with a TypeError, never a crash', () => {
  const { VrrpSocket: NativeSocket, vrrpAnnounce } = native();
  const advert = { family: 'inet' as const, vrid: 1, priority: 1, intervalCs: 1, addresses: ['192.0.2.1'] };

  it('the socket class: open arguments, send before open, stats and close before open', async () => {
    const s = new NativeSocket();
    const listener = () => {};
    for (const [options, timeout, l] of [
      [null, 1000, listener], [{ family: 'inet' }, 1000, listener], [{ family: 'x', interface: 'eth0' }, 1000, listener],
      [{ family: 'inet', interface: 'a'.repeat(16) }, 1000, listener], [{ family: 'inet', interface: 'eth0', peers: ['2001:db8::1'] }, 1000, listener],
      [{ family: 'inet', interface: 'eth0', peers: 'x' }, 1000, listener], [{ family: 'inet', interface: 'eth0', netns: 5 }, 1000, listener],
      [{ family: 'inet', interface: 'eth0' }, 0, listener], [{ family: 'inet', interface: 'eth0' }, 1000, null],
    ] as const) {
      expect(() => s.open(options as never, timeout, l as never)).toThrow(TypeError);
    }
    await expect(s.send(advert)).rejects.toMatchObject({ errno: 9 }); // EBADF: never opened
    expect(() => s.send({ ...advert, vrid: 256 })).toThrow(TypeError);
    expect(() => s.send({ ...advert, addresses: Array(256).fill('192.0.2.1') })).toThrow(TypeError);
    expect(s.stats()).toMatchObject({ received: 0, sent: 0, dropped: { checksum: 0, ttl: 0 } });
    s.close();
    s.close();
    s.ref();
    s.unref();
    expect(() => s.open({ family: 'inet', interface: 'eth0', netns: null }, 1000, listener)).toThrow(/closed/);
  });

  it('announce and the codec hooks', () => {
    expect(() => vrrpAnnounce(null, '', ['192.0.2.1'], false, 1000)).toThrow(TypeError);
    expect(() => vrrpAnnounce(null, 'eth0', ['nonsense'], false, 1000)).toThrow(TypeError);
    expect(() => vrrpAnnounce(null, 'eth0', ['192.0.2.1'], false, -1)).toThrow(TypeError);
    expect(() => codec.decodeIpv4('x' as never)).toThrow(TypeError);
    expect(() => codec.decodeIpv6(Buffer.alloc(8), '192.0.2.1', 'ff02::12', 255)).toThrow(TypeError);
    expect(() => codec.decodeIpv6(Buffer.alloc(8), 'fe80::1', 'ff02::12', 256)).toThrow(TypeError);
    expect(() => codec.gratuitousArp(Buffer.alloc(5), '192.0.2.1')).toThrow(TypeError);
    expect(() => codec.unsolicitedNa(Buffer.alloc(6), '192.0.2.1', false)).toThrow(TypeError);
    expect(() => codec.encode(advert, '2001:db8::1', '224.0.0.18')).toThrow(TypeError);
  });
});
