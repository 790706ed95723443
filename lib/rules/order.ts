/**
 * The order ipvsadm lists a table in: services by fwmark, family, protocol,
 * address, port; destinations by address, port. ipvsadm compares by int
 * subtraction, which wraps when two values differ by 2^31 or more (10.0.0.1
 * sorts after 192.0.2.1, fwmark 2^31 before fwmark 1); these compare by true
 * value. The two orders agree whenever ipvsadm's is consistent.
 */
import { AF, PROTOCOLS } from '../constants';
import type { DestinationKey, ServiceKey } from '../types';

/** An address as 16 bytes (IPv4 in the first 4), for numeric comparison. */
export function addressBytes(address: string): number[] {
  if (!address.includes(':')) return [...address.split('.').map(Number), ...new Array(12).fill(0)];
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  for (const g of groups) {
    const n = parseInt(g, 16);
    tail.push(n >> 8, n & 0xff);
  }
  return tail;
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function familyOf(address: string): number {
  return address.includes(':') ? AF.ipv6 : AF.ipv4;
}

type Order = [number, number, number, number[], number];

/** A service's sort key: compute once, compare many times. */
function serviceOrder(key: ServiceKey): Order {
  if ('fwmark' in key) return [key.fwmark, AF[key.family ?? 'ipv4'], 0, [], 0];
  return [0, familyOf(key.address), PROTOCOLS[key.protocol], addressBytes(key.address), key.port];
}

function destinationOrder(key: DestinationKey): Order {
  return [0, familyOf(key.address), 0, addressBytes(key.address), key.port];
}

function compareOrder(x: Order, y: Order): number {
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || compareBytes(x[3], y[3]) || x[4] - y[4];
}

/** Decorate-sort: each key is computed once, not per comparison. */
function sortBy<T>(items: readonly T[], order: (t: T) => Order): T[] {
  return items.map((item) => ({ item, key: order(item) }))
    .sort((a, b) => compareOrder(a.key, b.key))
    .map((x) => x.item);
}

export function sortServices<T extends { key: ServiceKey }>(services: readonly T[]): T[] {
  return sortBy(services, (s) => serviceOrder(s.key));
}

export function sortDestinations<T extends { key: DestinationKey }>(destinations: readonly T[]): T[] {
  return sortBy(destinations, (d) => destinationOrder(d.key));
}
