/** Identity strings and names for messages, of services and real servers as this folder reads them. */
import type { NormalizedDestinationKey } from '../validate/destination';
import type { NormalizedServiceKey } from '../validate/service';

/** One string per service identity: a fwmark service's family is part of it, as in the kernel. */
export function serviceId(key: NormalizedServiceKey): string {
  return key.kind === 'fwmark' ? `fwmark ${key.fwmark} ${key.family}` : `${key.protocol} ${key.address} ${key.port}`;
}

/** A real server's identity within its service (addresses are canonical). */
export function serverId(dest: NormalizedDestinationKey): string {
  return `${dest.address} ${dest.port}`;
}

export function describeService(key: NormalizedServiceKey): string {
  if (key.kind === 'fwmark') return `service fwmark ${key.fwmark}${key.family === 'ipv6' ? ' (ipv6)' : ''}`;
  return `service ${key.protocol} ${key.family === 'ipv6' ? `[${key.address}]` : key.address}:${key.port}`;
}

export function describeServer(dest: NormalizedDestinationKey): string {
  return `server ${dest.family === 'ipv6' ? `[${dest.address}]` : dest.address}:${dest.port}`;
}
