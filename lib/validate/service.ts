/** Validation of service keys and settings, into their normalized forms. */
import { SCHEDULER_FLAGS } from '../constants';
import { IpvsValidationError } from '../errors';
import { internService, serviceOf, type InternedService } from '../intern';
import type { Family, Persistence, Protocol, SchedulerFlag, ServiceConfig, ServiceKey, ServiceOptions } from '../types';
import { maxPrefix, netmaskPrefix } from './netmask';
import { address, boolean, integer, moduleName, onlyKeys, oneOf, own, plainObject } from './primitives';

/** A service key with every field filled and the address canonical. */
export type NormalizedServiceKey =
  | { kind: 'address'; family: Family; protocol: Protocol; address: string; port: number }
  | { kind: 'fwmark'; family: Family; fwmark: number };

export const PROTOCOL_NAMES: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];
export const MAX_PERSISTENCE_TIMEOUT = 31 * 86400;
/** What ipvsadm uses for `-p` without a value. */
export const DEFAULT_PERSISTENCE_TIMEOUT = 360;
export const DEFAULT_SCHEDULER = 'wlc';

/**
 * A service key, validated, as its interned record (intern.ts): a key object that already is one
 * (parseRules' keys, the normalized keys returned here) is not checked again.
 */
export function serviceRecord(value: unknown, field = 'service', id?: string): InternedService {
  const known = typeof value === 'object' && value !== null ? serviceOf(value) : undefined;
  return known ?? internService(normalizeServiceKey(value, field), id, true);
}

/** A service key, validated and normalized; frozen, one object per service (interned). */
export function serviceKey(value: unknown, field = 'service'): NormalizedServiceKey {
  return serviceRecord(value, field).key;
}

function normalizeServiceKey(value: unknown, field: string): NormalizedServiceKey {
  const obj = plainObject(value, field);
  if (Object.hasOwn(obj, 'fwmark')) {
    onlyKeys(obj, ['fwmark', 'family'], field);
    const fwmark = integer(obj.fwmark, `${field}.fwmark`, 1, 0xffffffff);
    const family = own(obj, 'family') === undefined ? 'ipv4' : oneOf(obj.family, `${field}.family`, FAMILIES);
    return { kind: 'fwmark', family, fwmark };
  }
  onlyKeys(obj, ['protocol', 'address', 'port'], field);
  const protocol = oneOf(own(obj, 'protocol'), `${field}.protocol`, PROTOCOL_NAMES);
  const addr = address(own(obj, 'address'), `${field}.address`);
  // Port 0 (all ports) is only meaningful with persistence; checked with the options.
  const port = integer(own(obj, 'port'), `${field}.port`, 0, 65535);
  return { kind: 'address', family: addr.family, protocol, address: addr.address, port };
}

/**
 * The public form of a normalized key: the interned one (frozen) when the key is interned, so that
 * validating it again (a plan's 50,000 operations sent through batch()) is one WeakMap lookup.
 */
export function publicServiceKey(key: NormalizedServiceKey): ServiceKey {
  const interned = serviceOf(key);
  if (interned) return interned.publicKey;
  return key.kind === 'fwmark'
    ? { fwmark: key.fwmark, family: key.family }
    : { protocol: key.protocol, address: key.address, port: key.port };
}

function persistence(value: ServiceOptions['persistence'], family: Family, field: string): Persistence | null {
  if (value === false || value === null) return null;
  if (typeof value === 'number') {
    return { timeout: integer(value, field, 1, MAX_PERSISTENCE_TIMEOUT), netmask: maxPrefix(family) };
  }
  const obj = plainObject(value, field);
  onlyKeys(obj, ['timeout', 'netmask'], field);
  const given = own(obj, 'timeout');
  const timeout = given === undefined ? DEFAULT_PERSISTENCE_TIMEOUT : integer(given, `${field}.timeout`, 1, MAX_PERSISTENCE_TIMEOUT);
  const mask = own(obj, 'netmask');
  const netmask = mask === undefined ? maxPrefix(family) : netmaskPrefix(mask, family, `${field}.netmask`);
  return { timeout, netmask };
}

/** Checks names and bits; owners too when the scheduler is known (given with them, or at merge). */
function schedulerFlags(value: unknown, scheduler: string | null, field: string): readonly SchedulerFlag[] {
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, 'an array of scheduler flags');
  const names = Object.keys(SCHEDULER_FLAGS) as SchedulerFlag[];
  const seen = new Set<number>();
  return (value as unknown[]).map((flag, i) => {
    const name = oneOf(flag, `${field}[${i}]`, names);
    if (scheduler !== null) flagOwner(name, scheduler, `${field}[${i}]`);
    const bit = SCHEDULER_FLAGS[name].bit;
    if (seen.has(bit)) throw new IpvsValidationError(`${field}[${i}]`, flag, 'each scheduler flag once');
    seen.add(bit);
    return name;
  });
}

function flagOwner(name: SchedulerFlag, scheduler: string, field: string): void {
  const owner = SCHEDULER_FLAGS[name].scheduler;
  if (owner !== null && owner !== scheduler)
    throw new IpvsValidationError(field, name, `a flag of scheduler '${scheduler}' ('${name}' belongs to '${owner}')`);
}

const SERVICE_OPTION_KEYS = ['scheduler', 'schedulerFlags', 'onePacket', 'persistence', 'persistenceEngine'] as const;

/**
 * Service options as given, each one checked (and against the key); undefined when not given.
 * An update's patch is checked before the call is queued and merged later over whatever the
 * kernel holds then; validateOp freezes it.
 */
export interface ServicePatch {
  readonly scheduler?: string;
  readonly schedulerFlags?: readonly SchedulerFlag[];
  readonly onePacket?: boolean;
  /** null: turned off. */
  readonly persistence?: Persistence | null;
  /** null: none. */
  readonly persistenceEngine?: string | null;
}

export function servicePatch(value: unknown, key: NormalizedServiceKey, field = 'options', keyField = 'service'): ServicePatch {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, SERVICE_OPTION_KEYS, field);
  const given = own(obj, 'scheduler');
  const scheduler = given === undefined ? undefined : moduleName(given, `${field}.scheduler`);
  const flags = own(obj, 'schedulerFlags');
  const onePacket = own(obj, 'onePacket');
  const persist = own(obj, 'persistence');
  const engine = own(obj, 'persistenceEngine');
  // Every field set, absent ones to undefined: none can be read from a (polluted) prototype.
  const patch: ServicePatch = {
    scheduler,
    schedulerFlags: flags === undefined ? undefined : schedulerFlags(flags, scheduler ?? null, `${field}.schedulerFlags`),
    onePacket: onePacket === undefined ? undefined : boolean(onePacket, `${field}.onePacket`),
    persistence: persist === undefined ? undefined : persistence(persist as ServiceOptions['persistence'], key.family, `${field}.persistence`),
    persistenceEngine: engine === undefined || engine === null ? engine : moduleName(engine, `${field}.persistenceEngine`),
  };
  // What the given fields alone rule out, whatever the service holds.
  if (patch.onePacket) onePacketFits(key, field);
  if (patch.persistence === null) portZeroNeedsPersistence(key, keyField);
  return patch;
}

/** The complete config the kernel will hold: the patch over base (the current config for update, null for add). */
export function mergeService(
  patch: ServicePatch, key: NormalizedServiceKey, base: ServiceConfig | null, field = 'options', keyField = 'service',
): ServiceConfig {
  const scheduler = patch.scheduler ?? base?.scheduler ?? DEFAULT_SCHEDULER;
  let flags: SchedulerFlag[];
  if (patch.schedulerFlags) {
    patch.schedulerFlags.forEach((f, i) => flagOwner(f, scheduler, `${field}.schedulerFlags[${i}]`));
    flags = patch.schedulerFlags.slice();
  } else {
    // Flags named for one scheduler lapse when the scheduler changes, unless given again.
    flags = (base?.schedulerFlags ?? []).filter((f) => {
      const owner = SCHEDULER_FLAGS[f].scheduler;
      return owner === null || owner === scheduler;
    });
  }
  const config: ServiceConfig = {
    scheduler,
    schedulerFlags: flags,
    onePacket: patch.onePacket ?? base?.onePacket ?? false,
    persistence: patch.persistence !== undefined ? patch.persistence : base?.persistence ?? null,
    persistenceEngine: patch.persistenceEngine !== undefined ? patch.persistenceEngine : base?.persistenceEngine ?? null,
  };
  if (!config.persistence) portZeroNeedsPersistence(key, keyField);
  if (config.onePacket) onePacketFits(key, field);
  // A persistence engine without persistence is kept by the kernel (and written by ipvsadm -S) though it
  // does nothing until persistence is on: accepted, so that every table ipvsadm saves restores here too.
  return config;
}

/**
 * Options over a base config: the defaults for add, the current config for
 * update. Returns the complete config the kernel will hold.
 */
export function serviceConfig(
  value: unknown, key: NormalizedServiceKey, base: ServiceConfig | null, field = 'options', keyField = 'service',
): ServiceConfig {
  return mergeService(servicePatch(value, key, field, keyField), key, base, field, keyField);
}

function portZeroNeedsPersistence(key: NormalizedServiceKey, keyField: string): void {
  if (key.kind === 'address' && key.port === 0)
    throw new IpvsValidationError(`${keyField}.port`, 0, 'a port from 1 to 65535 (port 0 needs persistence)');
}

/** The kernel applies one-packet scheduling to UDP only; ipvsadm refuses it on TCP and SCTP services. */
function onePacketFits(key: NormalizedServiceKey, field: string): void {
  if (key.kind === 'address' && key.protocol !== 'udp')
    throw new IpvsValidationError(`${field}.onePacket`, true, `false for a ${key.protocol} service (one-packet scheduling is for UDP and fwmark services)`);
}

