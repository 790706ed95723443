/**
 * apply's consistent reading (completeListing): one listing, completed where a torn dump could
 * hide what apply acts on: owned services no longer declared are asked for by key, big
 * destination lists are read until two readings agree; nothing else is read twice.
 */
import { constants as os } from 'node:os';
import { describe, expect, it } from 'vitest';
import { applyTable, type ApplyClient } from '../../lib/apply';
import { completeListing, WHOLE_DESTINATION_DUMP } from '../../lib/apply/consistent';
import { IpvsError } from '../../lib/errors';
import { Table } from '../../lib/table';
import type { BatchOperation, BatchResult, DestinationInfo, ServiceEntry, ServiceKey } from '../../lib/types';

const key = (n: number): ServiceKey => ({ protocol: 'tcp', address: `192.0.2.${n}`, port: 80 });
const id = (n: number) => `tcp/192.0.2.${n}/80`;
/** Owned services as apply passes them: keys by id. */
const owned = (...ns: number[]) => new Map(ns.map((n) => [id(n), key(n)]));
const dest = (n: number, weight = 1) => ({
  key: { address: `198.51.100.${n}`, port: 80 }, family: 'ipv4',
  config: { forwarding: 'masq', weight, upperThreshold: 0, lowerThreshold: 0, tunnel: null },
  connections: { active: 0, inactive: 0, persistent: 0 },
}) as unknown as DestinationInfo;
const entry = (n: number, dests = 1): ServiceEntry => ({
  key: key(n), family: 'ipv4',
  config: { scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null },
  destinations: Array.from({ length: dests }, (_, i) => dest(i + 1)),
}) as unknown as ServiceEntry;

/** A kernel holding `held`, whose listing (getTable) leaves out `torn`; counts every read. */
class Kernel implements ApplyClient {
  reads: string[] = [];
  writes: BatchOperation[][] = [];
  /** What successive listDestinations of a service answer (the last one repeats). */
  destinationReadings = new Map<string, DestinationInfo[][]>();
  constructor(public held: ServiceEntry[], public torn = new Set<number>()) {}
  private find(k: ServiceKey) {
    return this.held.find((s) => JSON.stringify(s.key) === JSON.stringify(k));
  }
  async getTable() {
    this.reads.push('getTable');
    return this.held.filter((s) => !this.torn.has(Number((s.key as { address: string }).address.split('.')[3])));
  }
  async getService(k: ServiceKey) {
    this.reads.push(`getService ${JSON.stringify(k)}`);
    const s = this.find(k);
    if (!s) throw new IpvsError(os.errno.ESRCH, { operation: 'getService', object: 'x' });
    return { key: s.key, family: s.family, config: s.config, stats: s.stats };
  }
  async listDestinations(k: ServiceKey) {
    this.reads.push(`listDestinations ${JSON.stringify(k)}`);
    const readings = this.destinationReadings.get(JSON.stringify(k));
    return readings ? (readings.length > 1 ? readings.shift()! : readings[0]) : this.find(k)!.destinations;
  }
  async batch(ops: readonly BatchOperation[]): Promise<BatchResult[]> {
    this.writes.push([...ops]);
    return ops.map((operation) => ({ ok: true, operation }) as BatchResult);
  }
}

const timeout = () => 1000;

describe('completeListing', () => {
  it('reads nothing more when no service in scope could hide anything (the no-op apply: one listing)', async () => {
    const k = new Kernel([entry(1, WHOLE_DESTINATION_DUMP - 1), entry(2, 40)]);
    const listing = await k.getTable();
    const out = await completeListing(k, listing, new Set([id(1)]), owned(), timeout);
    expect(out).toEqual(listing);
    expect(k.reads).toEqual(['getTable']); // service 2 has many destinations but is not in scope
  });

  it('asks for owned, undeclared services the listing missed, by key; a gone one is left out', async () => {
    const k = new Kernel([entry(1), entry(2), entry(3)], new Set([2]));
    const out = await completeListing(k, await k.getTable(), new Set([id(1)]), owned(1, 2, 4), timeout);
    expect(out.map((s) => (s.key as { address: string }).address)).toEqual(['192.0.2.1', '192.0.2.3', '192.0.2.2']);
    expect(out[2].destinations).toEqual([dest(1)]);
    expect(k.reads).toEqual(['getTable', `getService ${JSON.stringify(key(2))}`, `listDestinations ${JSON.stringify(key(2))}`, `getService ${JSON.stringify(key(4))}`]);
  });

  it('reads a destination list that may come from several dump parts until two readings agree', async () => {
    const k = new Kernel([entry(1, WHOLE_DESTINATION_DUMP + 1)]);
    const full = k.held[0].destinations;
    const torn = full.slice(1);
    k.destinationReadings.set(JSON.stringify(key(1)), [torn, full, full]);
    const listing = (await k.getTable()).map((s) => ({ ...s, destinations: torn }));
    const out = await completeListing(k, listing, new Set([id(1)]), owned(), timeout);
    expect(out[0].destinations).toEqual(full);
    expect(k.reads.filter((r) => r.startsWith('listDestinations'))).toHaveLength(3);
  });

  it('gives up with EAGAIN when the readings never agree', async () => {
    const k = new Kernel([entry(1, WHOLE_DESTINATION_DUMP + 1)]);
    k.destinationReadings.set(JSON.stringify(key(1)), [1, 2, 3, 4, 5, 6].map((w) => [dest(1, w)]));
    await expect(completeListing(k, await k.getTable(), new Set([id(1)]), owned(), timeout)).rejects.toMatchObject({ code: 'EAGAIN' });
  });
});

describe('apply with a torn listing', () => {
  it('prune still removes an owned service the listing missed', async () => {
    let record: unknown = { version: 1, services: [key(1), key(2)], drains: [] };
    const store = { load: async () => record as never, save: async (r: unknown) => void (record = r) };
    const k = new Kernel([entry(1), entry(2)], new Set([2]));
    const desired = Table.fromListing([entry(1)]);
    const r = await applyTable(k, desired, { prune: true, ownership: store }, 10_000);
    expect(r.results.map((x) => [x.step.action, (x.step.service as { address: string }).address, x.outcome])).toEqual([['remove-service', '192.0.2.2', 'applied']]);
    // Without the consistent reading the missed service stays.
    const again = new Kernel([entry(1), entry(2)], new Set([2]));
    record = { version: 1, services: [key(1), key(2)], drains: [] };
    expect((await applyTable(again, desired, { prune: true, ownership: store, consistent: false }, 10_000)).results).toEqual([]);
  });

  it('a no-op apply reads the table once and sends nothing', async () => {
    const k = new Kernel([entry(1, 4), entry(2, 4)]);
    const r = await applyTable(k, Table.fromListing(await k.getTable()), {}, 10_000);
    expect(r).toEqual({ plan: { steps: [] }, results: [], draining: [], changed: false });
    expect(k.reads).toEqual(['getTable', 'getTable']);
    expect(k.writes).toEqual([]);
  });
});
