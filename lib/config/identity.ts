/** Names for messages, of services and real servers as this folder reads them (map keys: lib/keys.ts). */
import type { NormalizedDestinationKey } from '../validate/destination';
import type { NormalizedServiceKey } from '../validate/service';

export function describeService(key: NormalizedServiceKey): string {
  if (key.kind === 'fwmark') return `service fwmark ${key.fwmark}${key.family === 'ipv6' ? ' (ipv6)' : ''}`;
  return `service ${key.protocol} ${key.family === 'ipv6' ? `[${key.address}]` : key.address}:${key.port}`;
}

export function describeServer(dest: NormalizedDestinationKey): string {
  return `server ${dest.family === 'ipv6' ? `[${dest.address}]` : dest.address}:${dest.port}`;
}
