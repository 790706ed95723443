/** Small checks shared by every validator; each throws IpvsValidationError naming the field. */
import { native } from '../binding';
import { IpvsValidationError } from '../errors';
import type { Family } from '../types';

export function plainObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new IpvsValidationError(field, value, 'an object');
  return value as Record<string, unknown>;
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

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new IpvsValidationError(field, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

export function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new IpvsValidationError(field, value, 'true or false');
  return value;
}

export interface CheckedAddress {
  family: Family;
  /** As inet_ntop prints it: what ipvsadm -n shows and what the kernel returns. */
  address: string;
}

/**
 * Addresses already seen, text -> canonical form: bulk input repeats the same few
 * addresses (a service's address on each of its destination lines), and each
 * miss costs a call into the addon. Bounded: cleared when full.
 */
const seen = new Map<string, CheckedAddress>();
const SEEN_MAX = 65536;

export function address(value: unknown, field: string): CheckedAddress {
  if (typeof value !== 'string') throw new IpvsValidationError(field, value, 'an IPv4 or IPv6 address string');
  const hit = seen.get(value);
  if (hit) return hit;
  if (value.includes('%'))
    throw new IpvsValidationError(field, value, 'an address without a zone (IPVS has no scoped addresses)');
  const canonical = native().canonicalAddress(value);
  if (canonical === null) throw new IpvsValidationError(field, value, 'an IPv4 or IPv6 address');
  const checked: CheckedAddress = { family: canonical.includes(':') ? 'ipv6' : 'ipv4', address: canonical };
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(value, checked);
  return checked;
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

/** Scheduler and persistence-engine names: the kernel keeps 15 bytes. */
export function moduleName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(value))
    throw new IpvsValidationError(field, value, 'a name of 1 to 15 letters, digits, "_", "-" or "."');
  return value;
}
