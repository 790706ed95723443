/** Validation of destinations (real servers) against the service they belong to. */
import { IpvsValidationError } from '../errors';
import type { DestinationConfig, DestinationKey, Family, ForwardingMethod, Tunnel, TunnelChecksum, TunnelType } from '../types';
import { address, addressKind, integer, onlyKeys, oneOf, own, plainObject } from './primitives';
import type { NormalizedServiceKey } from './service';

export interface NormalizedDestinationKey extends DestinationKey {
  family: Family;
}

export const FORWARDING_NAMES: readonly ForwardingMethod[] = ['masq', 'route', 'tunnel', 'local', 'bypass'];
const TUNNEL_TYPE_NAMES: readonly TunnelType[] = ['ipip', 'gue', 'gre'];
const CHECKSUM_NAMES: readonly TunnelChecksum[] = ['nocsum', 'csum', 'remcsum'];
export const MAX_WEIGHT = 0x7fffffff;
export const MAX_THRESHOLD = 0xffffffff;

/**
 * Addresses the kernel refuses as a real server (ip_vs_new_dest: IPv4 must be unicast or local by
 * inet_addr_type, IPv6 unicast by ipv6_addr_type), with EINVAL and nothing to say which field.
 * Link-local IPv6 is refused too unless it is an address of the host: only the kernel can tell.
 */
const NOT_A_SERVER: Record<string, string> = {
  'this-network': 'not in 0.0.0.0/8',
  multicast: 'not multicast',
  broadcast: 'not the broadcast address',
  unspecified: 'not the unspecified address',
  'ipv4-mapped': 'not IPv4-mapped (give the IPv4 address itself, with forwarding \'tunnel\' behind an IPv6 service)',
};

export function destinationKey(value: unknown, field = 'destination'): NormalizedDestinationKey {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['address', 'port'], field);
  const addr = address(own(obj, 'address'), `${field}.address`);
  const kind = addressKind(addr);
  if (kind !== 'unicast')
    throw new IpvsValidationError(`${field}.address`, obj.address, `a unicast address for a real server (${NOT_A_SERVER[kind]})`);
  return { family: addr.family, address: addr.address, port: integer(own(obj, 'port'), `${field}.port`, 0, 65535) };
}

interface TunnelPatch {
  readonly type?: TunnelType;
  readonly port?: number;
  readonly checksum?: TunnelChecksum;
}

/**
 * Destination options as given, each checked (and against the keys); undefined when not given.
 * An update's patch is checked before the call is queued and merged later over whatever the
 * kernel holds then; validateOp freezes it.
 */
export interface DestinationPatch {
  readonly forwarding?: ForwardingMethod;
  readonly weight?: number;
  readonly upperThreshold?: number;
  readonly lowerThreshold?: number;
  /** null: given as null (the tunnel's current or default settings). */
  readonly tunnel?: TunnelPatch | null;
}

const DEST_OPTION_KEYS = ['forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel'] as const;

function tunnelPatch(value: unknown, field: string): TunnelPatch | null {
  if (value === null) return null;
  const obj = plainObject(value, field);
  onlyKeys(obj, ['type', 'port', 'checksum'], field);
  const givenType = own(obj, 'type');
  const type = givenType === undefined ? undefined : oneOf(givenType, `${field}.type`, TUNNEL_TYPE_NAMES);
  const checksum = own(obj, 'checksum');
  let port = own(obj, 'port');
  if (port !== undefined) {
    if (type !== undefined && type !== 'gue') {
      noTunnelPort(port, type, field);
      port = undefined;
    } else {
      port = integer(port, `${field}.port`, type === 'gue' ? 1 : 0, 65535);
    }
  }
  return {
    type,
    port: port as number | undefined,
    checksum: checksum === undefined ? undefined : oneOf(checksum, `${field}.checksum`, CHECKSUM_NAMES),
  };
}

function noTunnelPort(port: unknown, type: TunnelType, field: string): void {
  if (port !== 0) throw new IpvsValidationError(`${field}.port`, port, `no port: only GUE tunnels have one (type is '${type}')`);
}

export function destinationPatch(
  value: unknown, service: NormalizedServiceKey, dest: NormalizedDestinationKey, field = 'options', destField = 'destination',
): DestinationPatch {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, DEST_OPTION_KEYS, field);
  // No prototype: an absent field must read as undefined even if Object.prototype was polluted.
  const forwarding = own(obj, 'forwarding');
  const weight = own(obj, 'weight');
  const upper = own(obj, 'upperThreshold');
  const lower = own(obj, 'lowerThreshold');
  const tunnel = own(obj, 'tunnel');
  // Every field set, absent ones to undefined: none can be read from a (polluted) prototype.
  const patch: DestinationPatch = {
    forwarding: forwarding === undefined ? undefined : oneOf(forwarding, `${field}.forwarding`, FORWARDING_NAMES),
    weight: weight === undefined ? undefined : integer(weight, `${field}.weight`, 0, MAX_WEIGHT),
    upperThreshold: upper === undefined ? undefined : integer(upper, `${field}.upperThreshold`, 0, MAX_THRESHOLD),
    lowerThreshold: lower === undefined ? undefined : integer(lower, `${field}.lowerThreshold`, 0, MAX_THRESHOLD),
    tunnel: tunnel === undefined ? undefined : tunnelPatch(tunnel, `${field}.tunnel`),
  };
  // What the given fields alone rule out, whatever the destination holds.
  if (patch.lowerThreshold !== undefined && patch.upperThreshold !== undefined)
    thresholdsFit(patch.lowerThreshold, patch.upperThreshold, field);
  if (patch.forwarding !== undefined) forwardingFits(patch.forwarding, patch.tunnel, tunnel, service, dest, field, destField);
  return Object.freeze(patch);
}

/** The complete config the kernel will hold: the patch over base (the current config for update, null for add). */
export function mergeDestination(
  patch: DestinationPatch, service: NormalizedServiceKey, dest: NormalizedDestinationKey,
  base: DestinationConfig | null, field = 'options', destField = 'destination',
): DestinationConfig {
  const forwarding = patch.forwarding ?? base?.forwarding ?? 'route';
  const weight = patch.weight ?? base?.weight ?? 1;
  const upperThreshold = patch.upperThreshold ?? base?.upperThreshold ?? 0;
  const lowerThreshold = patch.lowerThreshold ?? base?.lowerThreshold ?? 0;
  thresholdsFit(lowerThreshold, upperThreshold, field);
  forwardingFits(forwarding, patch.tunnel, patch.tunnel, service, dest, field, destField);
  const tunnel = forwarding === 'tunnel' ? mergeTunnel(patch.tunnel ?? NO_TUNNEL_SETTINGS, base?.tunnel ?? null, `${field}.tunnel`) : null;
  return { forwarding, weight, upperThreshold, lowerThreshold, tunnel };
}

const NO_TUNNEL_SETTINGS: TunnelPatch = Object.freeze({ type: undefined, port: undefined, checksum: undefined });

function mergeTunnel(patch: TunnelPatch, base: Tunnel | null, field: string): Tunnel {
  const type = patch.type ?? base?.type ?? 'ipip';
  const checksum = patch.checksum ?? base?.checksum ?? 'nocsum';
  if (type !== 'gue') {
    if (patch.port !== undefined) noTunnelPort(patch.port, type, field);
    return { type, port: 0, checksum };
  }
  const port = patch.port ?? base?.port;
  if (port === undefined || port === 0)
    throw new IpvsValidationError(`${field}.port`, port, 'a UDP port from 1 to 65535 (GUE tunnels need one)');
  return { type, port, checksum };
}

function thresholdsFit(lower: number, upper: number, field: string): void {
  if (lower > upper) throw new IpvsValidationError(`${field}.lowerThreshold`, lower, `at most the upper threshold (${upper})`);
}

function forwardingFits(
  forwarding: ForwardingMethod, tunnel: TunnelPatch | null | undefined, given: unknown,
  service: NormalizedServiceKey, dest: NormalizedDestinationKey, field: string, destField: string,
): void {
  if (forwarding !== 'tunnel' && tunnel)
    throw new IpvsValidationError(`${field}.tunnel`, given, `no tunnel settings: forwarding is '${forwarding}', not 'tunnel'`);
  // Route and tunnel forward the packet unchanged: they cannot change its port.
  if ((forwarding === 'route' || forwarding === 'tunnel') && service.kind === 'address' && service.port !== 0 && dest.port !== service.port)
    throw new IpvsValidationError(`${destField}.port`, dest.port, `the service's port ${service.port} (forwarding '${forwarding}' cannot change ports; use 'masq')`);
  if (dest.family !== service.family && forwarding !== 'tunnel')
    throw new IpvsValidationError(
      `${destField}.address`, dest.address,
      `an ${service.family} address like its service's (a destination of another family needs forwarding 'tunnel')`,
    );
}

/** Options over a base: defaults for add, the current config for update. */
export function destinationConfig(
  value: unknown, service: NormalizedServiceKey, dest: NormalizedDestinationKey,
  base: DestinationConfig | null, field = 'options', destField = 'destination',
): DestinationConfig {
  return mergeDestination(destinationPatch(value, service, dest, field, destField), service, dest, base, field, destField);
}
