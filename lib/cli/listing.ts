/**
 * The table as `ipvsadm -L -n` prints it, in each of its formats (default,
 * --stats, --rate, --thresholds, --persistent-conn, --tun-info, --exact),
 * column for column, in ipvsadm's order.
 */
import { hostPort } from '../describe';
import { netmaskText } from '../validate/netmask';
import { sortDestinations, sortServices } from '../rules/order';
import type { DestinationInfo, Info, ServiceEntry, ServiceInfo } from '../types';

export type ListFormat = 'default' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info';

const FORWARD_NAME = { masq: 'Masq', route: 'Route', tunnel: 'Tunnel', local: 'Local', bypass: 'Bypass' } as const;
const CHECKSUM_MARK = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

const HEADERS: Record<ListFormat, string> = {
  default: 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  stats: 'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port',
  rate: 'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port',
  thresholds: 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port',
  'persistent-conn': 'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port',
  'tun-info': 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
};

const left = (v: string | number, width: number) => String(v).padEnd(width);

/** ipvsadm's print_largenum: 9 columns, scaled with K/M/G/T unless exact. */
export function largeNumber(n: bigint, exact: boolean): string {
  if (exact) {
    const s = n.toString();
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 100_000_000n) return n.toString().padStart(9);
  if (n < 1_000_000_000n) return `${(n / 1000n).toString().padStart(8)}K`;
  if (n < 100_000_000_000n) return `${(n / 1_000_000n).toString().padStart(8)}M`;
  if (n < 100_000_000_000_000n) return `${(n / 1_000_000_000n).toString().padStart(8)}G`;
  return `${(n / 1_000_000_000_000n).toString().padStart(8)}T`;
}

function serviceName(s: ServiceInfo): string {
  const k = s.key;
  if ('fwmark' in k) return `FWM  ${k.fwmark}${s.family === 'ipv6' ? ' IPv6' : ''}`;
  return `${k.protocol.toUpperCase().padEnd(4)} ${hostPort(k.address, k.port)}`;
}

function serviceSettings(s: ServiceInfo): string {
  const c = s.config;
  let out = ` ${c.scheduler}`;
  if (c.schedulerFlags.length) out += ` (${c.schedulerFlags.join(',')})`;
  if (c.persistence) {
    out += ` persistent ${c.persistence.timeout}`;
    const mask = netmaskText(s.family, c.persistence.netmask);
    if (mask) out += ` mask ${mask}`;
  }
  if (c.persistenceEngine) out += ` pe ${c.persistenceEngine}`;
  if (c.onePacket) out += ' ops';
  return out;
}

function counters(stats: ServiceInfo['stats'], format: 'stats' | 'rate', exact: boolean): string {
  const values = format === 'stats'
    ? [stats.conns, stats.inPackets, stats.outPackets, stats.inBytes, stats.outBytes]
    : [stats.cps, stats.inPps, stats.outPps, stats.inBps, stats.outBps];
  return values.map((v) => largeNumber(v, exact)).join('');
}

function tunnelInfo(d: DestinationInfo): string {
  const t = d.config.tunnel;
  if (d.config.forwarding !== 'tunnel' || !t) return 'n/a';
  if (t.type === 'ipip') return 'ipip';
  if (t.type === 'gue') return `gue:${t.port}:${CHECKSUM_MARK[t.checksum]}`;
  return `${t.type}:${CHECKSUM_MARK[t.checksum]}`;
}

function destinationLine(d: DestinationInfo, format: ListFormat, exact: boolean): string {
  const name = `  -> ${left(hostPort(d.key.address, d.key.port), 28)}`;
  const c = d.connections;
  switch (format) {
    case 'stats':
    case 'rate':
      return `  -> ${left(hostPort(d.key.address, d.key.port), 28)}${counters(d.stats, format, exact)}`;
    case 'thresholds':
      return `${name} ${left(d.config.upperThreshold, 10)} ${left(d.config.lowerThreshold, 10)} ${left(c.active, 10)} ${left(c.inactive, 10)}`;
    case 'persistent-conn':
      return `${name} ${left(d.config.weight, 9)} ${left(c.persistent, 11)} ${left(c.active, 10)} ${left(c.inactive, 10)}`;
    case 'tun-info':
      return `${name} ${left(FORWARD_NAME[d.config.forwarding], 7)} ${left(tunnelInfo(d), 13)} ${left(d.config.weight, 6)} ${left(c.active, 10)} ${left(c.inactive, 10)}`;
    default:
      return `${name} ${left(FORWARD_NAME[d.config.forwarding], 7)} ${left(d.config.weight, 6)} ${left(c.active, 10)} ${left(c.inactive, 10)}`;
  }
}

function serviceLine(s: ServiceInfo, format: ListFormat, exact: boolean): string {
  if (format === 'stats' || format === 'rate') return `${left(serviceName(s), 33)}${counters(s.stats, format, exact)}`;
  return `${serviceName(s)}${serviceSettings(s)}`;
}

/** The table in ipvsadm's order (services, then each one's destinations), or as the kernel gave it. */
export function orderedTable(table: readonly ServiceEntry[], sort = true): ServiceEntry[] {
  if (!sort) return [...table];
  return sortServices(table).map((s) => ({ ...s, destinations: sortDestinations(s.destinations) }));
}

function serviceLines(lines: string[], table: readonly ServiceEntry[], format: ListFormat, exact: boolean): void {
  for (const s of table) {
    lines.push(serviceLine(s, format, exact));
    for (const d of s.destinations) lines.push(destinationLine(d, format, exact));
  }
}

/** The whole listing (`ipvsadm -L -n`, or `--nosort` with sort false), ending with a newline. */
export function formatListing(info: Info, table: readonly ServiceEntry[], format: ListFormat = 'default', exact = false, sort = true): string {
  const lines = [`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`, HEADERS[format]];
  serviceLines(lines, orderedTable(table, sort), format, exact);
  return `${lines.join('\n')}\n`;
}

/** One service, as `ipvsadm -L -n -t ADDR:PORT` prints it: no version line. */
export function formatService(service: ServiceEntry, format: ListFormat = 'default', exact = false, sort = true): string {
  const lines = [HEADERS[format]];
  serviceLines(lines, orderedTable([service], sort), format, exact);
  return `${lines.join('\n')}\n`;
}
