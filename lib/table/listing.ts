/**
 * The kernel's listing (ipvs.getTable()'s answer) as a table's services, trusted: no validation.
 *
 * Why that is safe: every key and config of a listing was made by convert.ts from the kernel's
 * binary attributes, not from anyone's input. Addresses are inet_ntop's text, the canonical form
 * the validators also produce (so ids match the desired table's); protocol, family, scheduler flag
 * and forwarding names come from constants.ts's tables; numbers are within the kernel's own
 * ranges. Validating them again (Table.fromKernel) costs 100-300 ms for 10,000 × 4 on a host and
 * several times that in the sandbox, for nothing.
 *
 * Sharing with `like` (the desired table): a config, a destination or a whole service that equals
 * like's is like's own frozen object, so diff(current, like) skips it by identity. A no-op apply
 * then compares each field once, here, and allocates almost nothing.
 */
import { addressServiceId, endpointId, fwmarkServiceId } from '../keys';
import type { DestinationConfig, Family, ServiceConfig, ServiceEntry, ServiceKey } from '../types';
import type { NormalizedServiceKey } from '../validate/service';
import { copyDestinationConfig, copyServiceConfig } from './config';
import type { TableDestination, TableService } from './state';

/** A listed key's identity (keys.ts). Canonical already: the kernel's text. */
export function listedServiceId(key: ServiceKey): string {
  return 'fwmark' in key ? fwmarkServiceId(key.family ?? 'ipv4', key.fwmark) : addressServiceId(key.protocol, key.address, key.port);
}

/** inet_ntop writes every IPv6 address with a colon and no IPv4 address with one. */
const familyOf = (address: string): Family => (address.includes(':') ? 'ipv6' : 'ipv4');

function normalizedKey(key: ServiceKey): NormalizedServiceKey {
  return Object.freeze('fwmark' in key
    ? { kind: 'fwmark', family: key.family ?? 'ipv4', fwmark: key.fwmark }
    : { kind: 'address', family: familyOf(key.address), protocol: key.protocol, address: key.address, port: key.port });
}

export function sameServiceConfig(a: ServiceConfig, b: ServiceConfig): boolean {
  if (a === b) return true;
  if (a.scheduler !== b.scheduler || a.onePacket !== b.onePacket || a.persistenceEngine !== b.persistenceEngine) return false;
  if (a.persistence !== b.persistence
    && (!a.persistence || !b.persistence || a.persistence.timeout !== b.persistence.timeout || a.persistence.netmask !== b.persistence.netmask)) return false;
  // Flags are bits: order means nothing (the table keeps them sorted, the kernel lists them by bit).
  return a.schedulerFlags.length === b.schedulerFlags.length && a.schedulerFlags.every((f) => b.schedulerFlags.includes(f));
}

export function sameDestinationConfig(a: DestinationConfig, b: DestinationConfig): boolean {
  if (a === b) return true;
  if (a.forwarding !== b.forwarding || a.weight !== b.weight || a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  return a.tunnel === b.tunnel
    || (!!a.tunnel && !!b.tunnel && a.tunnel.type === b.tunnel.type && a.tunnel.port === b.tunnel.port && a.tunnel.checksum === b.tunnel.checksum);
}

type Listed = ServiceEntry['destinations'];

/** Whether the listed destinations are exactly like's (same endpoints, equal configs), checked without allocating a map. */
function sameDestinations(listed: Listed, like: ReadonlyMap<string, TableDestination>): boolean {
  if (listed.length !== like.size) return false;
  // The kernel lists a service's destinations in the order they were added: usually like's order
  // (the table it was made from). Compared in step, no id string is built nor looked up.
  let i = 0;
  for (const want of like.values()) {
    const d = listed[i];
    if (d.key.address !== want.key.address || d.key.port !== want.key.port || !sameDestinationConfig(d.config, want.config)) break;
    i++;
  }
  if (i === listed.length) return true;
  for (i = 0; i < listed.length; i++) {
    const want = like.get(endpointId(listed[i].key));
    if (!want || !sameDestinationConfig(listed[i].config, want.config)) return false;
    // A repeat would stand in for one of like's destinations that was not listed (the addon drops repeats; a fake may not).
    for (let j = 0; j < i; j++) if (listed[j].key.address === listed[i].key.address && listed[j].key.port === listed[i].key.port) return false;
  }
  return true;
}

function destinationsOf(listed: Listed, like: ReadonlyMap<string, TableDestination> | undefined): Map<string, TableDestination> {
  const out = new Map<string, TableDestination>();
  for (const d of listed) {
    const id = endpointId(d.key);
    if (out.has(id)) continue; // a repeat in a torn dump: the first listing stays
    const want = like?.get(id);
    out.set(id, want && sameDestinationConfig(d.config, want.config)
      ? want
      : Object.freeze({ key: Object.freeze({ family: familyOf(d.key.address), address: d.key.address, port: d.key.port }), config: copyDestinationConfig(d.config) }));
  }
  return out;
}

/** The services of a listing by serviceId; a service listed twice (a torn dump) keeps its first listing. */
export function listingServices(entries: readonly ServiceEntry[], like?: ReadonlyMap<string, TableService>): Map<string, TableService> {
  const services = new Map<string, TableService>();
  for (const entry of entries) {
    const id = listedServiceId(entry.key);
    if (services.has(id)) continue;
    const want = like?.get(id);
    const config = want && sameServiceConfig(entry.config, want.config) ? want.config : copyServiceConfig(entry.config);
    const destinations = want && sameDestinations(entry.destinations, want.destinations) ? want.destinations : destinationsOf(entry.destinations, want?.destinations);
    services.set(id, want && want.config === config && want.destinations === destinations
      ? want
      : { key: want ? want.key : normalizedKey(entry.key), config, destinations });
  }
  return services;
}
