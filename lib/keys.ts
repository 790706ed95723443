/** Map keys for services and destinations, for lookups inside one batch. */
import type { NormalizedDestinationKey } from './validate/destination';
import type { NormalizedServiceKey } from './validate/service';

export function serviceId(key: NormalizedServiceKey): string {
  return key.kind === 'fwmark' ? `fwmark/${key.family}/${key.fwmark}` : `${key.protocol}/${key.address}/${key.port}`;
}

export function destinationId(service: NormalizedServiceKey, dest: NormalizedDestinationKey): string {
  return `${serviceId(service)}>${dest.address}/${dest.port}`;
}
