/** What the kernel's dumps need before they are trusted. */
import type { NativeRecord } from './binding';

/**
 * Dumps resume by position in the kernel's hash table, which holds the services of
 * every namespace: a service added or deleted in any namespace during a multi-part
 * dump shifts the position, and the dump repeats (or skips) entries without saying
 * so (no NLM_F_DUMP_INTR). Repeats are dropped here; see docs/api.md for skips.
 */
export function uniqueServices(records: NativeRecord[]): NativeRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const s = r.service;
    if (!s) return false;
    const id = s.fwmark ? `f${s.family}/${s.fwmark}` : `${s.protocol}/${s.address}/${s.port}`;
    return !seen.has(id) && seen.add(id) !== undefined;
  });
}

export function uniqueDestinations(records: NativeRecord[]): NativeRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const d = r.destination;
    if (!d) return false;
    const id = `${d.address}/${d.port}`;
    return !seen.has(id) && seen.add(id) !== undefined;
  });
}

