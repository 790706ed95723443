/** What the kernel's dumps need before they are trusted. */
import type { NativeRecord } from './binding';
import { AF, PROTOCOLS, nameOf } from './constants';
import { addressServiceId, endpointId, fwmarkServiceId } from './keys';
import type { Protocol } from './types';

/**
 * Dumps resume by position in the kernel's hash table, which holds the services of
 * every namespace: a service added or deleted in any namespace during a multi-part
 * dump shifts the position, and the dump repeats (or skips) entries without saying
 * so (no NLM_F_DUMP_INTR). Repeats are dropped here; see docs/api.md for skips.
 */
function uniqueBy(records: NativeRecord[], idOf: (r: NativeRecord) => string | null): NativeRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const id = idOf(r);
    if (id === null || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function uniqueServices(records: NativeRecord[]): NativeRecord[] {
  return uniqueBy(records, ({ service: s }) =>
    !s ? null : s.fwmark
      ? fwmarkServiceId(s.family === AF.ipv6 ? 'ipv6' : 'ipv4', s.fwmark)
      : addressServiceId((nameOf(PROTOCOLS, s.protocol) ?? `proto-${s.protocol}`) as Protocol, s.address!, s.port!));
}

export function uniqueDestinations(records: NativeRecord[]): NativeRecord[] {
  return uniqueBy(records, ({ destination: d }) => (d ? endpointId(d) : null));
}
