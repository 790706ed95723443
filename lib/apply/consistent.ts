/**
 * getTable({ consistent: true }): a listing can be torn (a change during the dump skips entries,
 * unflagged; kernel-facts.md), so read until two consecutive readings agree on every key and
 * config. Counters and connection counts are left out of the comparison: they change all the time.
 */
import { constants as os } from 'node:os';
import { IpvsError } from '../errors';
import type { ServiceEntry } from '../types';

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
