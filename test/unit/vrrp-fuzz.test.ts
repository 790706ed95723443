/**
 * The VRRP decoders against hostile input (fast-check): random bytes, and valid adverts mutated,
 * cut and extended, through the addon's decode hooks (the code the sockets run). Each answer is a
 * typed result: an advert whose fields are in range and that re-encodes to the bytes it came from,
 * or one of the drop reasons. Never a throw, never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';
import type { VrrpDropReason } from '../../lib/vrrp/types';

const codec = native().vrrpCodec;
const REASONS: VrrpDropReason[] = ['short', 'ttl', 'version', 'type', 'checksum', 'address-count', 'length', 'family', 'interface', 'interval'];

const ipv4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 }))
  .map((p) => p.join('.'));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const canonical6 = (s: string) => native().canonicalAddress(s)!;

const advert = fc.oneof(
  fc.record({ family: fc.constant('inet' as const), addresses: fc.array(ipv4, { minLength: 1, maxLength: 20 }), source: ipv4, destination: ipv4 }),
  fc.record({ family: fc.constant('inet6' as const), addresses: fc.array(ipv6, { minLength: 1, maxLength: 20 }), source: ipv6, destination: ipv6 }),
).chain((base) => fc.record({
  base: fc.constant(base),
  vrid: fc.integer({ min: 1, max: 255 }),
  priority: fc.integer({ min: 0, max: 255 }),
  intervalCs: fc.integer({ min: 1, max: 4095 }),
}));

type Gen = fc.Arbitrary<{ base: { family: 'inet' | 'inet6'; addresses: string[]; source: string; destination: string }; vrid: number; priority: number; intervalCs: number }>;

function datagram(message: Buffer, src: string, dst: string, ttl = 255): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + message.length, 2);
  h[8] = ttl;
  h[9] = 112;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  return Buffer.concat([h, message]);
}

type Generated = Parameters<Parameters<Gen['map']>[0]>[0];

function encodeOf(a: Generated) {
  const { family, addresses } = a.base;
  return codec.encode({ family, vrid: a.vrid, priority: a.priority, intervalCs: a.intervalCs, addresses }, a.base.source, a.base.destination);
}

function decode(family: 'inet' | 'inet6', bytes: Buffer, src: string, dst: string, hop = 255) {
  return family === 'inet' ? codec.decodeIpv4(datagram(bytes, src, dst, hop)) : codec.decodeIpv6(bytes, src, dst, hop);
}

/** A typed result; an advert is in range and re-encodes to exactly its message. */
function checkResult(r: ReturnType<typeof decode>, family: 'inet' | 'inet6', message: Buffer, src: string, dst: string): void {
  if (typeof r === 'string') {
    expect(REASONS).toContain(r);
    return;
  }
  expect(r.family).toBe(family);
  expect(r.intervalCs).toBeGreaterThanOrEqual(1);
  expect(r.intervalCs).toBeLessThanOrEqual(4095);
  expect(r.addresses.length).toBeGreaterThanOrEqual(1);
  const again = codec.encode({ family, vrid: r.vrid, priority: r.priority, intervalCs: r.intervalCs, addresses: r.addresses }, src, dst);
  // Equal but for the reserved interval bits, which the decoder ignores and the encoder zeroes.
  const masked = Buffer.from(message);
  masked[4] &= 0x0f;
  masked.writeUInt16BE(again.readUInt16BE(6), 6);
  expect(again).toEqual(masked);
}

describe('VRRP decoder fuzz', () => {
  it('round trip: every valid advert decodes to itself', () => {
    fc.assert(fc.property(advert as Gen, (a) => {
      const m = encodeOf(a);
      const r = decode(a.base.family, m, a.base.source, a.base.destination);
      expect(r).toEqual({
        family: a.base.family, vrid: a.vrid, priority: a.priority, intervalCs: a.intervalCs, source: a.base.family === 'inet6' ? canonical6(a.base.source) : a.base.source,
        addresses: a.base.family === 'inet6' ? a.base.addresses.map(canonical6) : a.base.addresses,
      });
    }), { numRuns: 2000 });
  });

  it('mutated, cut and extended valid adverts give a typed result', () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 40 }),
      hop: fc.oneof(fc.constant(255), fc.integer({ min: 0, max: 255 })),
    });
    fc.assert(fc.property(advert as Gen, mutation, (a, mut) => {
      let m = Buffer.from(encodeOf(a));
      for (const [at, v] of mut.flips) m[at % m.length] = v;
      if (mut.cut !== undefined) m = m.subarray(0, mut.cut % (m.length + 1));
      m = Buffer.concat([m, Buffer.from(mut.extra)]);
      const r = decode(a.base.family, m, a.base.source, a.base.destination, mut.hop);
      checkResult(r, a.base.family, m, a.base.source, a.base.destination);
      if (mut.hop !== 255) expect(typeof r === 'string').toBe(true);
    }), { numRuns: 5000 });
  });

  it('random bytes as IPv4 datagrams and IPv6 messages give a typed result', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), fc.integer({ min: 0, max: 255 }), (bytes, hop) => {
      const b = Buffer.from(bytes);
      const r4 = codec.decodeIpv4(b);
      if (typeof r4 === 'string') expect(REASONS).toContain(r4);
      else expect(r4.family).toBe('inet');
      const r6 = codec.decodeIpv6(b, 'fe80::1', 'ff02::12', hop);
      if (typeof r6 === 'string') expect(REASONS).toContain(r6);
      else checkResult(r6, 'inet6', b, 'fe80::1', 'ff02::12');
    }), { numRuns: 5000 });
  });
});
