/**
 * getTable({ consistent: true }): a listing can be torn (a change during the dump skips entries,
 * unflagged; kernel-facts.md), so read until two consecutive readings agree on every key and
 * config. Counters and connection counts are left out of the comparison: they change all the time.
 */
import { constants as os } from 'node:os';
import { IpvsError } from '../errors';
import { listedServiceId } from '../table/listing';
import type { DestinationInfo, ServiceEntry, ServiceKey } from '../types';
import type { ApplyClient } from './client';

/** Service ids: a table's byId map serves, no Set of 10,000 made from it. */
export interface Ids {
  has(id: string): boolean;
}

/** Readings taken before giving up: churn that outlasts this many is not going to stop for us. */
export const CONSISTENT_READS = 5;

function shape(entries: readonly ServiceEntry[], inScope?: (s: ServiceEntry) => boolean): string {
  return JSON.stringify((inScope ? entries.filter(inScope) : entries).map((s) => [s.key, s.config, s.destinations.map((d) => [d.key, d.config])]));
}

/**
 * inScope: only these services must agree (apply's: the declared and owned ones), so that another
 * tool changing its own services all the time does not keep the readings from agreeing.
 */
export async function consistentTable(read: () => Promise<ServiceEntry[]>, inScope?: (s: ServiceEntry) => boolean): Promise<ServiceEntry[]> {
  let previous = shape(await read(), inScope);
  for (let i = 1; i < CONSISTENT_READS; i++) {
    const now = await read();
    const current = shape(now, inScope);
    if (current === previous) return now;
    previous = current;
  }
  throw new IpvsError(os.errno.EAGAIN, { operation: 'getTable', object: `the IPVS table (${CONSISTENT_READS} readings, no two in a row alike)` });
}

/**
 * A destination listing shorter than this came from a dump of one part, read under one lock:
 * whole, never torn. A dump has more parts only when its first is full, and a full part holds at
 * least 9 distinct destinations (a destination's message is about 400 bytes with both stats
 * nests, which the kernel sends whatever we decode; the smallest part is NLMSG_GOODSIZE, about
 * 3,700 bytes); 6 leaves room for attributes newer kernels add.
 */
export const WHOLE_DESTINATION_DUMP = 6;

/**
 * apply's consistent reading: one listing, made complete where a tear could hide what apply
 * must see. A torn dump only ever misses or repeats objects; it never shows one that did not
 * exist, nor a config that was not held. So what apply may act on without a second reading:
 * - a declared object the listing missed: diff asks to add it, the add meets EEXIST, and
 *   resolve.ts reads that object itself (never reported failed);
 * - what apply removes or drains: only objects seen, which existed.
 * What a tear could hide, and is read again here:
 * - an owned service no longer declared (with prune), missed by the services dump: each one not
 *   listed is asked for by key (one exact GET, not a dump);
 * - an undeclared destination of a service in scope, missed by a destination dump of several
 *   parts: only a listing of WHOLE_DESTINATION_DUMP destinations or more can come from one; those
 *   services' destinations are read until two readings agree (at most CONSISTENT_READS, else EAGAIN).
 * Services outside the scope are never acted on, so their tears do not matter.
 * declared and owned: service ids (owned: with the keys to ask for them by).
 */
export async function completeListing(
  client: ApplyClient, entries: ServiceEntry[], declared: Ids, owned: ReadonlyMap<string, ServiceKey>, timeout: () => number,
): Promise<ServiceEntry[]> {
  const out = entries.slice();
  if (owned.size) {
    const listed = new Set(entries.map((s) => listedServiceId(s.key)));
    for (const [id, key] of owned) {
      if (listed.has(id) || declared.has(id)) continue;
      try {
        const info = await client.getService(key, { timeout: timeout() });
        out.push({ ...info, destinations: await client.listDestinations(key, { timeout: timeout() }) });
      } catch (err) {
        if (!(err instanceof IpvsError && err.code === 'ESRCH')) throw err; // gone: nothing to remove
      }
    }
  }
  for (let i = 0; i < out.length; i++) {
    const s = out[i];
    if (s.destinations.length < WHOLE_DESTINATION_DUMP) continue;
    const id = listedServiceId(s.key);
    if (declared.has(id) || owned.has(id)) out[i] = { ...s, destinations: await agreeingDestinations(client, s.key, timeout) };
  }
  return out;
}

/**
 * Whether completeListing would read anything again for a listing of these service ids (and
 * destination counts): when not, the listing is complete as it is, and apply keeps it packed.
 */
export function completeNeeded(
  listing: { readonly size: number; id(i: number): string; destinationCount(i: number): number }, declared: Ids, owned: ReadonlyMap<string, ServiceKey>,
): boolean {
  if (owned.size) {
    const listed = new Set<string>();
    for (let i = 0; i < listing.size; i++) listed.add(listing.id(i));
    for (const id of owned.keys()) if (!listed.has(id) && !declared.has(id)) return true;
  }
  // Ids made only for listings long enough to be torn (none in a table of 4 destinations a service).
  for (let i = 0; i < listing.size; i++)
    if (listing.destinationCount(i) >= WHOLE_DESTINATION_DUMP && (declared.has(listing.id(i)) || owned.has(listing.id(i)))) return true;
  return false;
}

async function agreeingDestinations(client: ApplyClient, key: ServiceKey, timeout: () => number): Promise<DestinationInfo[]> {
  const shapeOf = (ds: readonly DestinationInfo[]) => JSON.stringify(ds.map((d) => [d.key, d.config]));
  let previous = shapeOf(await client.listDestinations(key, { timeout: timeout() }));
  for (let i = 1; i < CONSISTENT_READS; i++) {
    const now = await client.listDestinations(key, { timeout: timeout() });
    const current = shapeOf(now);
    if (current === previous) return now;
    previous = current;
  }
  throw new IpvsError(os.errno.EAGAIN, { operation: 'getTable', object: `the destinations of a service (${CONSISTENT_READS} readings, no two in a row alike)` });
}
