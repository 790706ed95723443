/** Small checks shared by every validator; each throws IpvsValidationError naming the field. */
import { native } from '../binding';
import { NAME_MAX_BYTES } from '../constants';
import { IpvsValidationError } from '../errors';
import { internAddress, knownAddress, type CheckedAddress } from '../intern';

export function plainObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new IpvsValidationError(field, value, 'an object');
  return value as Record<string, unknown>;
}

/**
 * obj[key] if obj has it as its own property. Options are read through this: an inherited value
 * (from a prototype, or a polluted Object.prototype) is not something the caller gave.
 */
export function own<V>(obj: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** The value under an own key of table; an IpvsValidationError naming the field when key is not one. */
export function ownOrRefuse<V>(table: Readonly<Record<string, V>>, key: string, field: string): V {
  return table[oneOf(key, field, Object.keys(table))];
}

/** Rejects keys outside `allowed`: a misspelled option must not be silently ignored. */
export function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      throw new IpvsValidationError(`${field}.${key}`, obj[key], `no such option (known: ${allowed.join(', ')})`);
  }
}

export function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new IpvsValidationError(field, value, `an integer from ${min} to ${max}`);
  return value;
}

/** value if it is one of allowed (compared as strings, never looked up in an object). */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new IpvsValidationError(field, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

export function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new IpvsValidationError(field, value, 'true or false');
  return value;
}

export type { CheckedAddress };

export function address(value: unknown, field: string): CheckedAddress {
  if (typeof value !== 'string') throw new IpvsValidationError(field, value, 'an IPv4 or IPv6 address string');
  // Interned (intern.ts): bulk input repeats a few addresses, and each miss is a call into the addon.
  const hit = knownAddress(value);
  if (hit) return hit;
  if (value.includes('%'))
    throw new IpvsValidationError(field, value, 'an address without a zone (IPVS has no scoped addresses)');
  const canonical = native().canonicalAddress(value);
  if (canonical === null) throw new IpvsValidationError(field, value, 'an IPv4 or IPv6 address');
  return internAddress(value, { family: canonical.includes(':') ? 'ipv6' : 'ipv4', address: canonical });
}

/**
 * What kind of address a checked (canonical) one is, as far as the text tells. IPv6 multicast is
 * ff00::/8, so the first group must have four digits: 'ff::1' is 00ff::1, a unicast address.
 */
export function addressKind(a: CheckedAddress): 'unicast' | 'multicast' | 'broadcast' | 'this-network' | 'unspecified' | 'ipv4-mapped' {
  if (a.family === 'ipv4') {
    const first = Number(a.address.slice(0, a.address.indexOf('.')));
    if (first === 0) return 'this-network';
    if (first >= 224 && first <= 239) return 'multicast';
    if (a.address === '255.255.255.255') return 'broadcast';
    return 'unicast';
  }
  if (a.address === '::') return 'unspecified';
  if (/^ff[0-9a-f]{2}:/.test(a.address)) return 'multicast';
  // inet_ntop writes IPv4-mapped addresses with the IPv4 part dotted.
  if (a.address.startsWith('::ffff:') && a.address.includes('.')) return 'ipv4-mapped';
  return 'unicast';
}

const IFNAME_FORBIDDEN = /[/:\s\0]/;

/** Interface names as the kernel allows them: 1..15 bytes, no '/', ':' or blanks, not '.' or '..'. */
export function interfaceName(value: unknown, field: string): string {
  if (
    typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 15 ||
    IFNAME_FORBIDDEN.test(value) || value === '.' || value === '..'
  )
    throw new IpvsValidationError(field, value, "an interface name of 1 to 15 bytes without '/', ':' or blanks");
  return value;
}

/**
 * Names every JavaScript object inherits ('constructor', 'toString', '__proto__', …): no IPVS
 * module has one, and as a scheduler name one would pass for an entry of any lookup table
 * keyed by name (the library's, the CLI's or the caller's). Taken at load, before any pollution.
 */
const INHERITED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Scheduler and persistence-engine names. The kernel loads module ip_vs_NAME (ip_vs_pe_NAME) and keeps
 * 16 bytes with the NUL (IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN): 1 to 15 of the characters
 * module names are made of. No '.' or '/': the name becomes part of a module file name.
 */
const MODULE_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${NAME_MAX_BYTES}}$`);

export function moduleName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !MODULE_NAME.test(value) || INHERITED_NAMES.has(value))
    throw new IpvsValidationError(field, value, `a module name of 1 to ${NAME_MAX_BYTES} letters, digits, "_" or "-"`);
  return value;
}
