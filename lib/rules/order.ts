/**
 * The order ipvsadm lists a table in: services by fwmark, family, protocol,
 * address, port; destinations by address, port. ipvsadm compares by int
 * subtraction, which wraps when two values differ by 2^31 or more (10.0.0.1
 * sorts after 192.0.2.1, fwmark 2^31 before fwmark 1); these compare by true
 * value. The two orders agree whenever ipvsadm's is consistent.
 *
 * Each item gets one fixed-width string key (compared with <), built once:
 * sorting 50,000 lines costs no per-comparison work.
 */
import { AF, PROTOCOLS } from '../constants';
import type { DestinationKey, ServiceKey } from '../types';
import { ownOrRefuse } from '../validate/primitives';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

const IPV4_PAD = '0'.repeat(24);

/**
 * A dotted quad's key, read digit by digit: a plan or a table of 10,000 services sorts 50,000
 * keys, and splitting each address into arrays was most of a large diff's time.
 */
function ipv4Key(address: string): string {
  let value = 0;
  let part = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) { // '.'
      value = value * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return `${hex(value * 256 + part, 8)}${IPV4_PAD}`;
}

/** An address as 32 hex digits (IPv4 in the first 8), so string order is numeric order. */
export function addressKey(address: string): string {
  if (!address.includes(':')) return ipv4Key(address);
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${hex((a << 8) | b, 1)}:${hex((c << 8) | d, 1)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

function familyOf(address: string): number {
  return address.includes(':') ? AF.ipv6 : AF.ipv4;
}

/** A service's place in ipvsadm's order, as a string that sorts so. */
export function serviceOrder(key: ServiceKey): string {
  if ('fwmark' in key) return `${hex(key.fwmark, 8)}${hex(ownOrRefuse(AF, key.family ?? 'ipv4', 'key.family'), 2)}`;
  return `00000000${hex(familyOf(key.address), 2)}${hex(ownOrRefuse(PROTOCOLS, key.protocol, 'key.protocol'), 2)}${addressKey(key.address)}${hex(key.port, 4)}`;
}

/** A destination's place within its service, likewise. */
export function destinationOrder(key: DestinationKey): string {
  return `${hex(familyOf(key.address), 2)}${addressKey(key.address)}${hex(key.port, 4)}`;
}

function sortBy<T>(items: readonly T[], order: (t: T) => string): T[] {
  return items.map((item) => ({ item, key: order(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.item);
}

export function sortServices<T extends { key: ServiceKey }>(services: readonly T[]): T[] {
  return sortBy(services, (s) => serviceOrder(s.key));
}

export function sortDestinations<T extends { key: DestinationKey }>(destinations: readonly T[]): T[] {
  return destinations.length < 2 ? [...destinations] : sortBy(destinations, (d) => destinationOrder(d.key));
}
