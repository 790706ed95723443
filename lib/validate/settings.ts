/** Validation of global settings: timeouts and sync daemons. */
import { IpvsValidationError } from '../errors';
import type { DaemonState, Timeouts } from '../types';
import { address, addressKind, integer, interfaceName, onlyKeys, oneOf, own, plainObject } from './primitives';

/** The kernel multiplies timeouts by HZ into an int; this bound is safe for HZ up to 1000. */
export const MAX_TIMEOUT_SECONDS = Math.floor(0x7fffffff / 1000);
export const DAEMON_STATE_NAMES: readonly DaemonState[] = ['master', 'backup'];

/**
 * A partial timeouts object. The kernel reads 0 as "unchanged", so 0 is
 * refused here: omit a field to leave it as it is.
 */
export function timeouts(value: unknown, field = 'timeouts'): Partial<Timeouts> {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['tcp', 'tcpFin', 'udp'], field);
  const out: Partial<Timeouts> = {};
  for (const key of ['tcp', 'tcpFin', 'udp'] as const) {
    const given = own(obj, key);
    if (given === undefined) continue;
    if (given === 0)
      throw new IpvsValidationError(`${field}.${key}`, 0, `seconds from 1 to ${MAX_TIMEOUT_SECONDS} (omit the field to leave it unchanged; the kernel cannot set 0)`);
    out[key] = integer(given, `${field}.${key}`, 1, MAX_TIMEOUT_SECONDS);
  }
  if (Object.keys(out).length === 0)
    throw new IpvsValidationError(field, value, 'at least one of tcp, tcpFin, udp');
  return out;
}

export interface NormalizedDaemon {
  state: DaemonState;
  interface: string;
  syncId: number;
  maxLength?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export function daemonOptions(value: unknown, field = 'daemon'): NormalizedDaemon {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['state', 'interface', 'syncId', 'maxLength', 'group', 'port', 'ttl'], field);
  const opts = {
    state: own(obj, 'state'), interface: own(obj, 'interface'), syncId: own(obj, 'syncId'), maxLength: own(obj, 'maxLength'),
    group: own(obj, 'group'), port: own(obj, 'port'), ttl: own(obj, 'ttl'),
  };
  const out: NormalizedDaemon = {
    state: oneOf(opts.state, `${field}.state`, DAEMON_STATE_NAMES),
    interface: interfaceName(opts.interface, `${field}.interface`),
    syncId: opts.syncId === undefined ? 0 : integer(opts.syncId, `${field}.syncId`, 0, 255),
  };
  if (opts.maxLength !== undefined) out.maxLength = integer(opts.maxLength, `${field}.maxLength`, 1, 65535);
  if (opts.group !== undefined) {
    const group = address(opts.group, `${field}.group`);
    if (addressKind(group) !== 'multicast') throw new IpvsValidationError(`${field}.group`, opts.group, 'a multicast address (224.0.0.0/4 or ff00::/8)');
    out.group = group.address;
  }
  if (opts.port !== undefined) out.port = integer(opts.port, `${field}.port`, 1, 65535);
  if (opts.ttl !== undefined) out.ttl = integer(opts.ttl, `${field}.ttl`, 1, 255);
  return out;
}
