/**
 * The one spelling of a service's and a destination's identity as a string: map keys for the
 * table model, the batch planner, the dump de-duplication and the rules parser's shared keys.
 * Addresses must be canonical (as validate/primitives address() returns them), so that one
 * service has one id however its address was written.
 */
import type { Family, Protocol } from './types';
import type { NormalizedDestinationKey } from './validate/destination';
import type { NormalizedServiceKey } from './validate/service';

export function fwmarkServiceId(family: Family, fwmark: number): string {
  return `fwmark/${family}/${fwmark}`;
}

export function addressServiceId(protocol: Protocol, address: string, port: number): string {
  return `${protocol}/${address}/${port}`;
}

export function serviceId(key: NormalizedServiceKey): string {
  return key.kind === 'fwmark' ? fwmarkServiceId(key.family, key.fwmark) : addressServiceId(key.protocol, key.address, key.port);
}

/** A destination within its service. */
export function endpointId(dest: { address: string; port: number }): string {
  return `${dest.address}/${dest.port}`;
}

/** A destination among all services'. */
export function destinationId(service: NormalizedServiceKey, dest: NormalizedDestinationKey): string {
  return `${serviceId(service)}>${endpointId(dest)}`;
}
