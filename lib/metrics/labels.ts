/**
 * Label values: the project's own (`service`, `destination`, spelled as the config file spells them)
 * and node_exporter's ipvs collector's (local_address, local_port, remote_address, remote_port, proto,
 * local_mark), which it takes from /proc/net/ip_vs; ours come from the same kernel objects over netlink.
 */
import { hostPort } from '../describe';
import { isFwmarkService } from '../guards';
import type { DestinationKey, ServiceKey } from '../types';

/** `tcp 203.0.113.10:80`, `udp [2001:db8::10]:53`, `fwmark 1`, `fwmark 1 ipv6`: what a config file's `service:` takes. */
export function serviceLabel(key: ServiceKey): string {
  if (isFwmarkService(key)) return key.family === 'ipv6' ? `fwmark ${key.fwmark} ipv6` : `fwmark ${key.fwmark}`;
  return `${key.protocol} ${hostPort(key.address, key.port)}`;
}

/** `203.0.113.11:80`, `[2001:db8::11]:80`. */
export function destinationLabel(key: DestinationKey): string {
  return hostPort(key.address, key.port);
}

export const NODE_BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'] as const;
export type NodeBackendLabels = Record<(typeof NODE_BACKEND_LABELS)[number], string>;

/**
 * node_exporter's labels of one real server. The kernel prints a firewall-mark service as `FWM %08X`:
 * proto "FWM", local_mark that hex text, local_address empty and local_port "0". Other services have
 * proto in capitals ("TCP", "UDP"; "SCTP", which node_exporter's parser skips) and local_mark empty.
 */
export function nodeBackendLabels(service: ServiceKey, destination: DestinationKey): NodeBackendLabels {
  const remote = { remote_address: destination.address, remote_port: String(destination.port) };
  if (isFwmarkService(service)) {
    const mark = service.fwmark.toString(16).toUpperCase().padStart(8, '0');
    return { local_address: '', local_port: '0', ...remote, proto: 'FWM', local_mark: mark };
  }
  return { local_address: service.address, local_port: String(service.port), ...remote, proto: service.protocol.toUpperCase(), local_mark: '' };
}
