/** Human names of IPVS objects, for error messages and listings. */
import { isFwmarkService } from './guards';
import type { DestinationKey, ServiceKey } from './types';

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function describeService(key: ServiceKey): string {
  if (isFwmarkService(key)) return `service fwmark ${key.fwmark} (${key.family ?? 'ipv4'})`;
  return `service ${key.protocol} ${hostPort(key.address, key.port)}`;
}

export function describeDestination(service: ServiceKey, dest: DestinationKey): string {
  return `destination ${hostPort(dest.address, dest.port)} of ${describeService(service)}`;
}
