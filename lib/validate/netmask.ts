/**
 * The persistence netmask, the one place it changes spelling. The library keeps a prefix length
 * for both families; the kernel takes an IPv4 mask as a 32-bit number (host order in the addon)
 * and an IPv6 one as a prefix length 1..128; ipvsadm writes and reads IPv4 masks dotted
 * (255.255.255.0) and IPv6 ones as a prefix length.
 */
import { IpvsValidationError } from '../errors';
import type { Family } from '../types';
import { integer } from './primitives';

export function maxPrefix(family: Family): number {
  return family === 'ipv6' ? 128 : 32;
}

/** IPv4 prefix 0..32 -> the mask as a 32-bit unsigned number (the kernel's form). */
export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * A mask read back from the kernel -> a prefix length: its leading ones. The kernel keeps what it
 * was given; a mask no prefix spells cannot come from this library or ipvsadm.
 */
export function kernelMaskToPrefix(mask: number): number {
  let prefix = 0;
  while (prefix < 32 && mask & (0x80000000 >>> prefix)) prefix++;
  return prefix;
}

/** A 32-bit IPv4 mask -> its prefix length, or null when its ones are not contiguous from the top. */
export function maskToPrefix(mask: number): number | null {
  const prefix = kernelMaskToPrefix(mask);
  return prefixToMask(prefix) === mask >>> 0 ? prefix : null;
}

/** IPv4 prefix 0..32 -> dotted mask (24 -> '255.255.255.0'). */
export function prefixToDotted(prefix: number): string {
  const bits = prefixToMask(prefix);
  return `${bits >>> 24}.${(bits >>> 16) & 0xff}.${(bits >>> 8) & 0xff}.${bits & 0xff}`;
}

/** Four decimal octets 0..255 -> the 32-bit number; null for any other text. */
function dottedToNumber(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** A dotted IPv4 mask -> its prefix length; null when it is not one or not contiguous (255.0.255.0). */
export function dottedToPrefix(text: string): number | null {
  const mask = dottedToNumber(text);
  return mask === null ? null : maskToPrefix(mask);
}

/**
 * A persistence netmask as the caller gives it -> a prefix length: a number (IPv4 0..32, IPv6
 * 1..128: the kernel refuses an IPv6 prefix 0) or, for IPv4, a dotted mask.
 */
export function netmaskPrefix(value: unknown, family: Family, field: string): number {
  if (typeof value === 'string' && family === 'ipv4') {
    const mask = dottedToNumber(value);
    if (mask === null) throw new IpvsValidationError(field, value, 'a prefix length or a dotted IPv4 mask');
    const prefix = maskToPrefix(mask);
    if (prefix === null) throw new IpvsValidationError(field, value, 'a contiguous IPv4 mask');
    return prefix;
  }
  return integer(value, field, family === 'ipv6' ? 1 : 0, maxPrefix(family));
}

/**
 * The netmask as ipvsadm writes it (dotted for IPv4, a prefix length for IPv6), or null for a
 * host mask, which ipvsadm leaves out.
 */
export function netmaskText(family: Family, prefix: number): string | null {
  if (prefix === maxPrefix(family)) return null;
  return family === 'ipv6' ? String(prefix) : prefixToDotted(prefix);
}
