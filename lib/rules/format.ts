/**
 * A table -> ipvsadm rules text: the lines `ipvsadm -S -n` writes, in its
 * order, plus what ipvsadm loses and can still read back (-x/-y thresholds,
 * fwmarks >= 2^31 written unsigned). `ipvsadm -R` accepts all of it.
 */
import { hostPort } from '../describe';
import { netmaskText } from '../validate/netmask';
import { ownOrRefuse } from '../validate/primitives';
import type { DestinationConfig, DestinationKey, Family, FormatOptions, RulesService, ServiceConfig, ServiceKey } from '../types';
import { sortDestinations, sortServices } from './order';

/** ipvsadm writes local (and bypass) destinations as -g: rules text has no switch for them. */
const FORWARD_SWITCH = { masq: '-m', route: '-g', tunnel: '-i', local: '-g', bypass: '-g' } as const;

export function serviceSwitch(key: ServiceKey): string {
  if ('fwmark' in key) return `-f ${key.fwmark}${key.family === 'ipv6' ? ' -6' : ''}`;
  const opt = key.protocol === 'tcp' ? '-t' : key.protocol === 'udp' ? '-u' : '--sctp-service';
  return `${opt} ${hostPort(key.address, key.port)}`;
}

function familyOf(key: ServiceKey): Family {
  return 'fwmark' in key ? key.family ?? 'ipv4' : key.address.includes(':') ? 'ipv6' : 'ipv4';
}

export function serviceLine(key: ServiceKey, c: ServiceConfig): string {
  let line = `-A ${serviceSwitch(key)} -s ${c.scheduler}`;
  if (c.persistence) {
    line += ` -p ${c.persistence.timeout}`;
    const mask = netmaskText(familyOf(key), c.persistence.netmask);
    if (mask) line += ` -M ${mask}`;
  }
  if (c.persistenceEngine) line += ` --pe ${c.persistenceEngine}`;
  if (c.onePacket) line += ' -o';
  if (c.schedulerFlags.length) line += ` -b ${c.schedulerFlags.join(',')}`;
  return line;
}

/** `switch` is serviceSwitch() of the destination's service, computed once per service. */
export function destinationLine(switch_: string, key: DestinationKey, c: DestinationConfig, thresholds = true): string {
  let line = `-a ${switch_} -r ${hostPort(key.address, key.port)} ${ownOrRefuse(FORWARD_SWITCH, c.forwarding, 'config.forwarding')} -w ${c.weight}`;
  if (c.forwarding === 'tunnel' && c.tunnel) {
    line += ` --tun-type ${c.tunnel.type}`;
    if (c.tunnel.type === 'gue') line += ` --tun-port ${c.tunnel.port}`;
    if (c.tunnel.type !== 'ipip') line += ` --tun-${c.tunnel.checksum}`;
  }
  if (thresholds && (c.upperThreshold || c.lowerThreshold)) line += ` -x ${c.upperThreshold} -y ${c.lowerThreshold}`;
  return line;
}

/**
 * Writes a table as rules text, one `-A` line per service followed by its `-a` lines,
 * sorted as ipvsadm sorts them. Ends with a newline unless the table is empty.
 */
export function formatRules(table: readonly RulesService[], options: FormatOptions = {}): string {
  const thresholds = options.thresholds ?? true;
  const lines: string[] = [];
  for (const svc of sortServices(table)) {
    lines.push(serviceLine(svc.key, svc.config));
    const switch_ = serviceSwitch(svc.key);
    for (const d of sortDestinations(svc.destinations)) lines.push(destinationLine(switch_, d.key, d.config, thresholds));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
