/**
 * A desired table given as plain objects (DesiredTable), checked completely with the library's own
 * validators (the defaults addService and addDestination apply), into a table state. Errors are
 * IpvsValidationError with the field's path, e.g. `services[3].destinations[1].options.weight`.
 */
import { IpvsValidationError } from '../errors';
import { endpointId, serviceId } from '../keys';
import { destinationConfig, destinationKey } from '../validate/destination';
import { onlyKeys, own, plainObject } from '../validate/primitives';
import { serviceConfig, serviceKey } from '../validate/service';
import { copyDestinationConfig, copyServiceConfig } from './config';
import { TableState, type TableDestination } from './state';

/** An array, read with an index loop: map() and forEach() skip holes, which would pass unchecked. */
function list(value: unknown, field: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, `an array of ${what}`);
  for (let i = 0; i < value.length; i++) if (!(i in value)) throw new IpvsValidationError(`${field}[${i}]`, undefined, 'an object');
  return value;
}

export function desiredState(value: unknown): TableState {
  const root = plainObject(value, 'table');
  onlyKeys(root, ['services'], 'table');
  const services = list(own(root, 'services'), 'services', 'services');
  const state = new TableState();
  /** serviceId -> index of the service that declared it. */
  const declared = new Map<string, number>();
  for (let i = 0; i < services.length; i++) {
    const at = `services[${i}]`;
    const svc = plainObject(services[i], at);
    onlyKeys(svc, ['service', 'options', 'destinations'], at);
    const key = serviceKey(own(svc, 'service'), `${at}.service`);
    const sid = serviceId(key);
    const first = declared.get(sid);
    if (first !== undefined)
      throw new IpvsValidationError(`${at}.service`, svc.service, `a service not declared before (services[${first}] declares it too)`);
    declared.set(sid, i);
    const config = serviceConfig(own(svc, 'options'), key, null, `${at}.options`, `${at}.service`);
    const given = own(svc, 'destinations');
    const dests = given === undefined ? [] : list(given, `${at}.destinations`, 'destinations');
    const destinations = new Map<string, TableDestination>();
    const seen = new Map<string, number>();
    for (let j = 0; j < dests.length; j++) {
      const dat = `${at}.destinations[${j}]`;
      const d = plainObject(dests[j], dat);
      onlyKeys(d, ['destination', 'options'], dat);
      const dest = destinationKey(own(d, 'destination'), `${dat}.destination`);
      const did = endpointId(dest);
      const firstDest = seen.get(did);
      if (firstDest !== undefined)
        throw new IpvsValidationError(`${dat}.destination`, d.destination, `a destination not declared before (${at}.destinations[${firstDest}] declares it too)`);
      seen.set(did, j);
      const dconfig = destinationConfig(own(d, 'options'), key, dest, null, `${dat}.options`, `${dat}.destination`);
      destinations.set(did, Object.freeze({ key: dest, config: copyDestinationConfig(dconfig) }));
    }
    state.services.set(sid, { key, config: copyServiceConfig(config), destinations });
  }
  return state;
}
