/**
 * The fields of a config file, level by level, and what to say about a field that is none of them.
 * Names are the library's own (ServiceOptions, DestinationOptions); keepalived's keywords are
 * recognised only to point at the field that means the same.
 */
import { distance } from '../distance';
import { clip } from '../errors';

export const TOP_FIELDS = ['services'] as const;
export const SERVICE_FIELDS = [
  'service', 'scheduler', 'schedulerFlags', 'onePacket', 'persistence', 'persistenceEngine', 'forwarding', 'destinations',
] as const;
export const ADDRESS_KEY_FIELDS = ['protocol', 'address', 'port'] as const;
export const FWMARK_KEY_FIELDS = ['fwmark', 'family'] as const;
export const PERSISTENCE_FIELDS = ['timeout', 'netmask'] as const;
export const DESTINATION_FIELDS = ['server', 'forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel'] as const;
export const SERVER_FIELDS = ['address', 'port'] as const;
export const TUNNEL_FIELDS = ['type', 'port', 'checksum'] as const;

/** keepalived.conf keywords -> the field here (docs/config.md has the whole table). */
const KEEPALIVED = new Map<string, string>([
  ['virtual_server', 'service'], ['virtual_server_group', 'service'], ['real_server', 'destinations'],
  ['lvs_sched', 'scheduler'], ['lb_algo', 'scheduler'], ['lvs_method', 'forwarding'], ['lb_kind', 'forwarding'],
  ['persistence_timeout', 'persistence.timeout'], ['persistence_granularity', 'persistence.netmask'],
  ['persistence_engine', 'persistenceEngine'], ['ops', 'onePacket'], ['uthreshold', 'upperThreshold'],
  ['lthreshold', 'lowerThreshold'], ['fwmark', 'service: fwmark N'], ['protocol', 'service: tcp ADDRESS:PORT'],
  ['hashed', 'scheduler: sh or mh'], ['sh-port', 'schedulerFlags'], ['sh-fallback', 'schedulerFlags'],
  ['mh-port', 'schedulerFlags'], ['mh-fallback', 'schedulerFlags'], ['flag-1', 'schedulerFlags'],
  ['flag-2', 'schedulerFlags'], ['flag-3', 'schedulerFlags'], ['tunnel_type', 'tunnel.type'],
  ['destination', 'server'], ['real-server', 'server'], ['realServer', 'server'], ['real_servers', 'destinations'],
  ['servers', 'destinations'], ['method', 'forwarding'], ['persistent', 'persistence'], ['netmask', 'persistence.netmask'],
]);

/** "no such field …" with the field meant when it is plain which (a misspelling, or keepalived's word). */
export function unknownFieldMessage(name: string, allowed: readonly string[]): string {
  const known = `known: ${allowed.join(', ')}`;
  if (name === '<<') return `merge keys (<<) are not accepted: write the fields out (${known})`;
  // keepalived's word only where its field belongs (persistence_timeout in a service, not in a tunnel).
  const keepalived = KEEPALIVED.get(name);
  const fits = keepalived !== undefined && allowed.includes(keepalived.split(/[.:]/)[0]);
  const meant = fits ? keepalived : nearest(name, allowed);
  return meant ? `no such field (did you mean ${meant}?; ${known})` : `no such field ${JSON.stringify(clip(name))} (${known})`;
}

function nearest(name: string, allowed: readonly string[]): string | null {
  if (name.length > 64) return null;
  const lower = name.toLowerCase().replace(/[_-]/g, '');
  let best: string | null = null;
  let bestDistance = Infinity;
  let tie = false;
  for (const field of allowed) {
    const d = distance(lower, field.toLowerCase());
    if (d < bestDistance) [best, bestDistance, tie] = [field, d, false];
    else if (d === bestDistance) tie = true;
  }
  return best !== null && !tie && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}
