/** Validation of destinations (real servers) against the service they belong to. */
import { IpvsValidationError } from '../errors';
import type { DestinationConfig, DestinationKey, Family, ForwardingMethod, Tunnel, TunnelChecksum, TunnelType } from '../types';
import { address, integer, onlyKeys, oneOf, plainObject } from './primitives';
import type { NormalizedServiceKey } from './service';

export interface NormalizedDestinationKey extends DestinationKey {
  family: Family;
}

export const FORWARDING_NAMES: readonly ForwardingMethod[] = ['masq', 'route', 'tunnel', 'local', 'bypass'];
const TUNNEL_TYPE_NAMES: readonly TunnelType[] = ['ipip', 'gue', 'gre'];
const CHECKSUM_NAMES: readonly TunnelChecksum[] = ['nocsum', 'csum', 'remcsum'];
export const MAX_WEIGHT = 0x7fffffff;
export const MAX_THRESHOLD = 0xffffffff;

export function destinationKey(value: unknown, field = 'destination'): NormalizedDestinationKey {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['address', 'port'], field);
  const addr = address(obj.address, `${field}.address`);
  return { family: addr.family, address: addr.address, port: integer(obj.port, `${field}.port`, 0, 65535) };
}

function tunnel(value: unknown, field: string, base: Tunnel | null): Tunnel {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, ['type', 'port', 'checksum'], field);
  const type = obj.type === undefined ? base?.type ?? 'ipip' : oneOf(obj.type, `${field}.type`, TUNNEL_TYPE_NAMES);
  const checksum = obj.checksum === undefined
    ? base?.checksum ?? 'nocsum'
    : oneOf(obj.checksum, `${field}.checksum`, CHECKSUM_NAMES);
  if (type !== 'gue') {
    if (obj.port !== undefined && obj.port !== 0)
      throw new IpvsValidationError(`${field}.port`, obj.port, `no port: only GUE tunnels have one (type is '${type}')`);
    return { type, port: 0, checksum };
  }
  const given = obj.port === undefined ? base?.port : obj.port;
  if (given === undefined || given === 0)
    throw new IpvsValidationError(`${field}.port`, given, 'a UDP port from 1 to 65535 (GUE tunnels need one)');
  return { type, port: integer(given, `${field}.port`, 1, 65535), checksum };
}

const DEST_OPTION_KEYS = ['forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel'] as const;

/** Options over a base: defaults for add, the current config for update. */
export function destinationConfig(
  value: unknown, service: NormalizedServiceKey, dest: NormalizedDestinationKey,
  base: DestinationConfig | null, field = 'options', destField = 'destination',
): DestinationConfig {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, DEST_OPTION_KEYS, field);
  const forwarding = obj.forwarding === undefined
    ? base?.forwarding ?? 'route'
    : oneOf(obj.forwarding, `${field}.forwarding`, FORWARDING_NAMES);
  const weight = obj.weight === undefined ? base?.weight ?? 1 : integer(obj.weight, `${field}.weight`, 0, MAX_WEIGHT);
  const upperThreshold = obj.upperThreshold === undefined
    ? base?.upperThreshold ?? 0
    : integer(obj.upperThreshold, `${field}.upperThreshold`, 0, MAX_THRESHOLD);
  const lowerThreshold = obj.lowerThreshold === undefined
    ? base?.lowerThreshold ?? 0
    : integer(obj.lowerThreshold, `${field}.lowerThreshold`, 0, MAX_THRESHOLD);
  if (lowerThreshold > upperThreshold)
    throw new IpvsValidationError(`${field}.lowerThreshold`, lowerThreshold, `at most the upper threshold (${upperThreshold})`);

  let tun: Tunnel | null = null;
  if (forwarding === 'tunnel') tun = tunnel(obj.tunnel ?? undefined, `${field}.tunnel`, base?.tunnel ?? null);
  else if (obj.tunnel !== undefined && obj.tunnel !== null)
    throw new IpvsValidationError(`${field}.tunnel`, obj.tunnel, `no tunnel settings: forwarding is '${forwarding}', not 'tunnel'`);

  // Route and tunnel forward the packet unchanged: they cannot change its port.
  if ((forwarding === 'route' || forwarding === 'tunnel') && service.kind === 'address' && service.port !== 0 && dest.port !== service.port)
    throw new IpvsValidationError(`${destField}.port`, dest.port, `the service's port ${service.port} (forwarding '${forwarding}' cannot change ports; use 'masq')`);
  if (dest.family !== service.family && forwarding !== 'tunnel')
    throw new IpvsValidationError(
      `${destField}.address`, dest.address,
      `an ${service.family} address like its service's (a destination of another family needs forwarding 'tunnel')`,
    );
  return { forwarding, weight, upperThreshold, lowerThreshold, tunnel: tun };
}
