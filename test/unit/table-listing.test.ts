/**
 * Table.fromListing (apply's reading, trusted: no validation) against Table.fromKernel (every key
 * validated) on random tables: the same table, the same diff against any desired table; and what
 * equals the desired table is the desired table's own objects, so a no-op diff finds nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Table, diff } from '../../lib/table';
import type { ServiceEntry, Stats } from '../../lib/types';
import { desiredTableArb } from './table.arbitraries';

// 100 random pairs: each builds, diffs and compares four tables (a few seconds on a loaded machine).
const RUNS = { numRuns: 100 };
const zero: Stats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
const familyOf = (address: string) => (address.includes(':') ? 'ipv6' : 'ipv4') as 'ipv4' | 'ipv6';

/** A table as ipvs.getTable() lists it: fresh objects, flags in the kernel's order (reversed here), counters. */
function listingOf(t: Table): ServiceEntry[] {
  return t.services().map((s) => ({
    key: { ...s.key },
    family: 'fwmark' in s.key ? s.key.family ?? 'ipv4' : familyOf(s.key.address),
    config: {
      ...s.config,
      schedulerFlags: [...s.config.schedulerFlags].reverse(),
      persistence: s.config.persistence && { ...s.config.persistence },
    },
    stats: zero,
    destinations: s.destinations.map((d) => ({
      key: { ...d.key },
      family: familyOf(d.key.address),
      config: { ...d.config, tunnel: d.config.tunnel && { ...d.config.tunnel } },
      connections: { active: 1, inactive: 2, persistent: 0 },
      stats: zero,
    })),
  })) as ServiceEntry[];
}

/** A torn listing: some services missed, some listed twice (the first listing stands). */
const tornArb = (t: Table) => fc.array(fc.constantFrom('keep', 'drop', 'twice'), { minLength: t.size, maxLength: t.size }).map((fate) =>
  listingOf(t).flatMap((s, i) => (fate[i] === 'drop' ? [] : fate[i] === 'twice' ? [s, { ...s, config: { ...s.config, scheduler: 'rr' }, destinations: [] }] : [s])));

describe('Table.fromListing', () => {
  it('builds the table fromKernel builds, and the same diff against any desired table', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, (a, b) => {
      const A = Table.fromObjects(a);
      const B = Table.fromObjects(b);
      const listing = listingOf(A);
      const validated = Table.fromKernel(listing);
      for (const trusted of [Table.fromListing(listing), Table.fromListing(listing, B), Table.fromListing(listing, A)]) {
        expect(trusted.equals(validated)).toBe(true);
        expect(trusted.toObjects()).toEqual(validated.toObjects());
        expect(diff(trusted, B)).toEqual(diff(validated, B));
        expect(diff(trusted, B, { drain: false, manage: A.services().map((s) => s.key) })).toEqual(diff(validated, B, { drain: false, manage: A.services().map((s) => s.key) }));
      }
    }), RUNS);
  });

  it('torn listings (services missed or repeated) give what fromKernel gives', () => {
    fc.assert(fc.property(desiredTableArb.chain((a) => {
      const A = Table.fromObjects(a);
      return fc.tuple(fc.constant(A), tornArb(A));
    }), ([A, listing]) => {
      const validated = Table.fromKernel(listing);
      const trusted = Table.fromListing(listing, A);
      expect(trusted.equals(validated)).toBe(true);
      expect(diff(trusted, A)).toEqual(diff(validated, A));
    }), RUNS);
  });

  it('shares what equals the desired table: a listing of it diffs to nothing, service by service by identity', () => {
    fc.assert(fc.property(desiredTableArb, (a) => {
      const A = Table.fromObjects(a);
      const current = Table.fromListing(listingOf(A), A);
      for (const [id, s] of A.byId) expect(current.byId.get(id)).toBe(s);
      expect(diff(current, A).steps).toEqual([]);
    }), RUNS);
  });

  it('a changed destination is not shared; its service and unchanged destinations are', () => {
    const A = Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1\n-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n');
    const listing = listingOf(A);
    listing[0].destinations[1] = { ...listing[0].destinations[1], config: { ...listing[0].destinations[1].config, weight: 7 } };
    const current = Table.fromListing(listing, A);
    const [have, want] = [current.byId.values().next().value!, A.byId.values().next().value!];
    expect(have).not.toBe(want);
    expect(have.config).toBe(want.config);
    expect(have.destinations.get('198.51.100.1/80')).toBe(want.destinations.get('198.51.100.1/80'));
    expect(have.destinations.get('198.51.100.2/80')!.config.weight).toBe(7);
    expect(diff(current, A).steps.map((s) => [s.action, s.destination?.address])).toEqual([['update-destination', '198.51.100.2']]);
  });

  it('a destination listed twice is not mistaken for the desired set of the same size', () => {
    const A = Table.fromRules('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1\n-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n');
    const listing = listingOf(A);
    listing[0].destinations[1] = listing[0].destinations[0];
    const current = Table.fromListing(listing, A);
    expect(current.services()[0].destinations.map((d) => d.key.address)).toEqual(['198.51.100.1']);
    expect(diff(current, A).steps.map((s) => [s.action, s.destination?.address])).toEqual([['add-destination', '198.51.100.2']]);
  });
});
