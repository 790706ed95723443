/** The ownership record's shape, checked: read back from a file or a store, it is input. */
import { IpvsValidationError } from '../errors';
import { destinationKey } from '../validate/destination';
import { integer, onlyKeys, own, plainObject } from '../validate/primitives';
import { publicServiceKey, serviceKey } from '../validate/service';
import type { DrainRecord, OwnershipRecord } from './types';

export function emptyRecord(): OwnershipRecord {
  return { version: 1, services: [], drains: [] };
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, 'an array');
  return value;
}

/** A record as loaded: every field checked (IpvsValidationError naming e.g. "record.drains[2].since"), keys made canonical. */
export function checkRecord(value: unknown, field = 'record'): OwnershipRecord {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['version', 'services', 'drains'], field);
  if (own(obj, 'version') !== 1) throw new IpvsValidationError(`${field}.version`, own(obj, 'version'), '1');
  const services = list(own(obj, 'services'), `${field}.services`).map((s, i) => publicServiceKey(serviceKey(s, `${field}.services[${i}]`)));
  const drains = list(own(obj, 'drains'), `${field}.drains`).map((d, i): DrainRecord => {
    const f = `${field}.drains[${i}]`;
    const o = plainObject(d, f);
    onlyKeys(o, ['service', 'destination', 'since'], f);
    const dest = destinationKey(own(o, 'destination'), `${f}.destination`);
    return {
      service: publicServiceKey(serviceKey(own(o, 'service'), `${f}.service`)),
      destination: { address: dest.address, port: dest.port },
      since: integer(own(o, 'since'), `${f}.since`, 0, Number.MAX_SAFE_INTEGER),
    };
  });
  return { version: 1, services, drains };
}
