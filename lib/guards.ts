/** Type guards for the public unions, so callers narrow without poking at fields. */
import type { AddressServiceKey, FwmarkServiceKey, ServiceKey } from './types';

/**
 * True for a service named by firewall mark, `{ fwmark, family? }`: TypeScript then
 * knows `key.fwmark`. Decided as validation decides it: an own `fwmark` property.
 */
export function isFwmarkService(key: ServiceKey): key is FwmarkServiceKey {
  return Object.hasOwn(key, 'fwmark');
}

/** True for a service named by protocol, address and port. */
export function isAddressService(key: ServiceKey): key is AddressServiceKey {
  return !Object.hasOwn(key, 'fwmark');
}
