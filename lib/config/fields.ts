/**
 * The fields of a config file, level by level, and what to say about a field that is none of them.
 * Names are the library's own (ServiceOptions, DestinationOptions); keepalived's keywords are
 * recognised only to point at the field that means the same.
 */
import { distance } from '../distance';
import { clip } from '../errors';
import { VRRP_KEEPALIVED_WORDS } from './vrrp-settings';

export const TOP_FIELDS = ['services', 'director', 'vrrp'] as const;
export const SERVICE_FIELDS = [
  'service', 'scheduler', 'schedulerFlags', 'onePacket', 'persistence', 'persistenceEngine', 'forwarding', 'destinations',
  'health', 'quorum',
] as const;
export const ADDRESS_KEY_FIELDS = ['protocol', 'address', 'port'] as const;
export const FWMARK_KEY_FIELDS = ['fwmark', 'family'] as const;
export const PERSISTENCE_FIELDS = ['timeout', 'netmask'] as const;
export const DESTINATION_FIELDS = ['server', 'forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel', 'health'] as const;
/** A health check, flat: timing, then the settings of its type (http/https, dns's query, exec's command). */
export const HEALTH_FIELDS = [
  'type', 'interval', 'timeout', 'retries', 'retryDelay', 'rise', 'fall', 'warmup', 'alpha', 'inhibitOnFailure', 'target',
  'path', 'status', 'body', 'host', 'sni', 'verify', 'ca', 'query', 'command', 'dynamicWeight',
] as const;
export const TARGET_FIELDS = ['address', 'port'] as const;
export const QUERY_FIELDS = ['type', 'name'] as const;
export const QUORUM_FIELDS = ['min', 'hysteresis', 'sorryServer', 'sorryServerInhibit', 'sorryServerForwarding'] as const;
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
  // Health checks and the agent: a word may point at one of several fields, the first that fits where it stands.
  ['TCP_CHECK', 'health'], ['HTTP_GET', 'health'], ['SSL_GET', 'health'], ['DNS_CHECK', 'health'], ['MISC_CHECK', 'health'],
  ['delay_loop', 'interval|health.interval'], ['connect_timeout', 'timeout|health.timeout'], ['retry', 'retries|health.retries'],
  ['nb_get_retry', 'retries|health.retries'], ['delay_before_retry', 'retryDelay|health.retryDelay'],
  ['inhibit_on_failure', 'inhibitOnFailure|health.inhibitOnFailure'], ['connect_ip', 'target.address|health.target.address'],
  ['connect_port', 'target.port|health.target.port'], ['bindto', 'target.address'], ['status_code', 'status'], ['url', 'path'],
  ['digest', 'body'], ['virtualhost', 'host'], ['sni_server_name', 'sni'], ['misc_path', 'command'], ['misc_dynamic', 'dynamicWeight'],
  ['misc_timeout', 'timeout'], ['sorry_server', 'quorum.sorryServer|sorryServer'],
  ['sorry_server_inhibit', 'quorum.sorryServerInhibit|sorryServerInhibit'], ['quorum_up', 'notify.quorumUp|quorumUp'],
  ['quorum_down', 'notify.quorumDown|quorumDown'], ['notify_up', 'notify.up|up'], ['notify_down', 'notify.down|down'],
  ['omega', 'onStop|director.onStop'], ['lvs_flush_onstop', 'onStop|director.onStop'], ['lvs_flush', 'onStop|director.onStop'],
  ['hysteresis', 'quorum.hysteresis'], ['global_defs', 'director'],
  ...VRRP_KEEPALIVED_WORDS,
]);

/** "no such field …" with the field meant when it is plain which (a misspelling, or keepalived's word). */
export function unknownFieldMessage(name: string, allowed: readonly string[]): string {
  const known = `known: ${allowed.join(', ')}`;
  if (name === '<<') return `merge keys (<<) are not accepted: write the fields out (${known})`;
  // keepalived's word only where its field belongs (persistence_timeout in a service, not in a tunnel).
  const keepalived = KEEPALIVED.get(name)?.split('|').find((field) => allowed.includes(field.split(/[.:]/)[0]));
  const meant = keepalived ?? nearest(name, allowed);
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
