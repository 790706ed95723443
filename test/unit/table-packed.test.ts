/**
 * The packed listing (apply's reading from the addon's getTablePacked, lib/table/packed.ts) against
 * the same listing as objects: the same entries, the same Table and diff against any desired
 * table, and what equals the desired table is its own objects whatever order the kernel lists
 * destinations in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeTableEntry } from '../../lib/binding';
import { nativeDestination, nativeService, tableEntry } from '../../lib/convert';
import { Table, diff } from '../../lib/table';
import { PackedListing } from '../../lib/table/packed';
import { packTable } from '../helpers/fake-binding';
import { desiredTableArb } from './table.arbitraries';

const RUNS = { numRuns: 100 };
type Order = 'as-is' | 'reversed' | 'rotated';

/** A table as the addon lists it, destinations in the given order, with connection counters. */
function nativeOf(t: Table, order: Order = 'as-is'): NativeTableEntry[] {
  return [...t.byId.values()].map((s) => {
    const { flagsMask: _, ...service } = nativeService(s.key, s.config);
    let dests = [...s.destinations.values()].map((d, i) => ({
      ...nativeDestination(d.key, d.config), activeConns: i, inactiveConns: 2 * i, persistentConns: 0,
    }));
    if (order === 'reversed') dests = dests.reverse();
    if (order === 'rotated' && dests.length > 1) dests = [...dests.slice(1), dests[0]];
    return { service, destinations: dests } as unknown as NativeTableEntry;
  });
}

const packed = (entries: NativeTableEntry[]) => {
  const { words, strings } = packTable(entries);
  return new PackedListing(words, strings);
};
const orderArb = fc.constantFrom<Order>('as-is', 'reversed', 'rotated');

describe('PackedListing', () => {
  it('gives the entries getTable({ stats: false }) gives', () => {
    fc.assert(fc.property(desiredTableArb, orderArb, (a, order) => {
      const raw = nativeOf(Table.fromObjects(a), order);
      expect(packed(raw).entries()).toEqual(raw.map(tableEntry));
    }), RUNS);
  });

  it('builds the table fromListing builds, and the same diff against any desired table', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, orderArb, (a, b, order) => {
      const A = Table.fromObjects(a);
      const B = Table.fromObjects(b);
      const raw = nativeOf(A, order);
      const objects = Table.fromListing(raw.map(tableEntry), B);
      const fromPacked = Table.fromPacked(packed(raw), B);
      expect(fromPacked.equals(objects)).toBe(true);
      expect(diff(fromPacked, B)).toEqual(diff(objects, B));
      expect(diff(fromPacked, B, { drain: false, manage: A.services().map((s) => s.key) }))
        .toEqual(diff(objects, B, { drain: false, manage: A.services().map((s) => s.key) }));
    }), RUNS);
  });

  it('shares what equals the desired table, in any destination order: a listing of it diffs to nothing', () => {
    fc.assert(fc.property(desiredTableArb, orderArb, (a, order) => {
      const A = Table.fromObjects(a);
      const current = Table.fromPacked(packed(nativeOf(A, order)), A);
      for (const [id, s] of A.byId) expect(current.byId.get(id)).toBe(s);
      expect(diff(current, A).steps).toEqual([]);
    }), RUNS);
  });

  it('a changed weight, a repeated destination or a repeated service is seen', () => {
    const A = Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1\n-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n');
    const raw = nativeOf(A);
    const weighted = structuredClone(raw);
    weighted[0].destinations[1].weight = 5;
    expect(diff(Table.fromPacked(packed(weighted), A), A).steps.map((s) => s.action)).toEqual(['update-destination']);
    // A torn dump's repeat stands in for a destination not listed: that one is added.
    const repeated = structuredClone(raw);
    repeated[0].destinations[1] = { ...repeated[0].destinations[0] };
    expect(diff(Table.fromPacked(packed(repeated), A), A).steps.map((s) => s.action)).toEqual(['add-destination']);
    // A service listed twice keeps its first listing.
    const twice = [raw[0], { ...raw[0], scheduler: 'wlc', destinations: [] }];
    expect(Table.fromPacked(packed(twice), A).byId.values().next().value).toBe(A.byId.values().next().value);
  });

  it('a listing exactly the desired table is that table itself; one repeated in place of another, or one changed, is not', () => {
    const A = Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m\n-A -u 192.0.2.1:80 -s rr\n-A -f 7 -s rr\n-A -t 192.0.2.1:443 -s rr\n');
    const raw = nativeOf(A);
    expect(Table.fromPacked(packed(raw), A)).toBe(A);
    expect(Table.fromPacked(packed([...raw].reverse()), A)).toBe(A);
    const repeated = [raw[0], raw[0], raw[2], raw[3]];
    const current = Table.fromPacked(packed(repeated), A);
    expect(current).not.toBe(A);
    expect(diff(current, A).steps.map((s) => s.action)).toEqual(['add-service']);
    const changed = structuredClone(raw);
    changed[1].service.scheduler = 'wlc';
    expect(diff(Table.fromPacked(packed(changed), A), A).steps.map((s) => s.action)).toEqual(['update-service']);
  });

  it('tells apart more distinct service configs than it compares word by word', () => {
    const rules = Array.from({ length: 40 }, (_, i) => `-A -t 192.0.2.${i + 1}:80 -s ${i % 2 ? 'rr' : 'wlc'} -p ${100 + (i % 20)}\n`).join('');
    const A = Table.fromRules(rules);
    const raw = nativeOf(A);
    const objects = Table.fromListing(raw.map(tableEntry));
    expect(Table.fromPacked(packed(raw)).equals(objects)).toBe(true);
    expect(Table.fromPacked(packed(raw), A)).toBe(A);
  });

  it('gives connection counters of the services asked for only, keyed as drains.ts keys them', () => {
    const A = Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m\n-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m\n-A -f 7 -s rr\n-a -f 7 -r 198.51.100.3:0 -g\n');
    const p = packed(nativeOf(A));
    expect(p.ids()).toEqual(['tcp/192.0.2.1/80', 'fwmark/ipv4/7']);
    expect(p.connections(new Map([['tcp/192.0.2.1/80', { protocol: 'tcp', address: '192.0.2.1', port: 80 }]]))).toEqual(new Map([
      ['tcp/192.0.2.1/80>198.51.100.1/80', { active: 0, inactive: 0 }],
      ['tcp/192.0.2.1/80>198.51.100.2/8080', { active: 1, inactive: 2 }],
    ]));
    expect(p.connections(new Map())).toEqual(new Map());
    // A firewall-mark service has no address to be found by: by its id.
    expect(p.connections(new Map([['fwmark/ipv4/7', { fwmark: 7 }]]))).toEqual(new Map([['fwmark/ipv4/7>198.51.100.3/0', { active: 0, inactive: 0 }]]));
  });

  it('refuses words cut short, and a text index out of range', () => {
    const { words, strings } = packTable(nativeOf(Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m\n')));
    expect(() => new PackedListing(words.subarray(0, 5), strings)).toThrow(RangeError);
    expect(() => new PackedListing(words.subarray(0, words.length - 1), strings)).toThrow(RangeError);
    expect(() => new PackedListing(words, []).ids()).toThrow(RangeError);
  });
});
