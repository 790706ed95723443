/**
 * apply's reading of the kernel, packed: the addon's getTablePacked() gives one Uint32Array and the
 * distinct texts (addresses, scheduler and engine names), not 50,000 objects. A no-op apply then
 * compares each listed service with the desired table's straight from the words and allocates
 * almost nothing; only a service that differs is made into objects (listing.ts does the rest).
 *
 * Layout (native/table_pack.h), per service SERVICE_WORDS words:
 *   family, protocol, fwmark, address (text index, NO_TEXT for fwmark), port, scheduler (text),
 *   engine (text, '' for none), flags, timeout, netmask, destination count
 * then per destination DESTINATION_WORDS words:
 *   family, address (text), port, forwarding, weight, upper, lower, active, inactive, persistent,
 *   has tunnel, tunnel type, tunnel port, tunnel flags
 * Trusted as the kernel's answer, as listing.ts explains; only the bounds are checked.
 */
import type { NativeDestination, NativeService, NativeTableEntry } from '../binding';
import { FORWARDING, PROTOCOLS, TUNNEL_CHECKSUMS, TUNNEL_TYPES, nameOf } from '../constants';
import { familyName, serviceInfo, tableEntry } from '../convert';
import { addressServiceId, fwmarkServiceId } from '../keys';
import type { Protocol, ServiceConfig, ServiceEntry, ServiceKey } from '../types';
import { listingServices, sameServiceConfig } from './listing';
import type { TableDestination, TableService } from './state';

export const SERVICE_WORDS = 11;
export const DESTINATION_WORDS = 14;
const NO_TEXT = 0xffffffff;
/** Distinct service configs compared word by word before a text key is made for the rest. */
const CONFIG_SCAN = 16;

/** The addon's answer as it crosses into JS. */
export interface PackedWords {
  words: Uint32Array;
  strings: string[];
}

export class PackedListing {
  /** Word offset of each service. */
  readonly #offsets: number[] = [];
  #ids: string[] | undefined;
  #entries: ServiceEntry[] | undefined;
  /** Service configs made so far, each with the word offset of a service that has it (#config). */
  readonly #configs: { at: number; config: ServiceConfig }[] = [];
  readonly #configsByText = new Map<string, ServiceConfig>();

  constructor(readonly words: Uint32Array, readonly strings: readonly string[]) {
    for (let o = 0; o < words.length;) {
      if (o + SERVICE_WORDS > words.length) throw new RangeError('packed listing: a service cut short');
      this.#offsets.push(o);
      o += SERVICE_WORDS + words[o + 10] * DESTINATION_WORDS;
      if (o > words.length) throw new RangeError('packed listing: destinations cut short');
    }
  }

  get size(): number {
    return this.#offsets.length;
  }

  #text(index: number): string {
    const s = this.strings[index];
    if (s === undefined) throw new RangeError(`packed listing: no text ${index}`);
    return s;
  }

  /** Service i's identity (keys.ts), as listing.ts's listedServiceId gives it; made on first use. */
  id(i: number): string {
    const ids = (this.#ids ??= new Array<string>(this.size));
    return (ids[i] ??= this.#makeId(this.#offsets[i]));
  }

  #makeId(o: number): string {
    const w = this.words;
    return w[o + 2]
      ? fwmarkServiceId(familyName(w[o]), w[o + 2])
      : addressServiceId((nameOf(PROTOCOLS, w[o + 1]) ?? `proto-${w[o + 1]}`) as Protocol, this.#text(w[o + 3]), w[o + 4]);
  }

  /** Every service's identity, in listing order. */
  ids(): readonly string[] {
    for (let i = 0; i < this.size; i++) this.id(i);
    return this.#ids ?? [];
  }

  destinationCount(i: number): number {
    return this.words[this.#offsets[i] + 10];
  }

  #nativeService(o: number): NativeService & { scheduler: string; persistenceEngine: string; flags: number; timeout: number; netmask: number } {
    const w = this.words;
    const s = {
      family: w[o], protocol: w[o + 1], fwmark: w[o + 2],
      scheduler: this.#text(w[o + 5]), persistenceEngine: this.#text(w[o + 6]), flags: w[o + 7], timeout: w[o + 8], netmask: w[o + 9],
    } as NativeService & { scheduler: string; persistenceEngine: string; flags: number; timeout: number; netmask: number };
    if (!w[o + 2]) {
      s.address = this.#text(w[o + 3]);
      s.port = w[o + 4];
    }
    return s;
  }

  #nativeDestination(o: number): NonNullable<NativeTableEntry['destinations'][number]> {
    const w = this.words;
    const d: NativeDestination & Record<string, unknown> = {
      family: w[o], address: this.#text(w[o + 1]), port: w[o + 2], forwarding: w[o + 3], weight: w[o + 4],
      upperThreshold: w[o + 5], lowerThreshold: w[o + 6], activeConns: w[o + 7], inactiveConns: w[o + 8], persistentConns: w[o + 9],
    };
    if (w[o + 10]) {
      d.tunnelType = w[o + 11];
      d.tunnelPort = w[o + 12];
      d.tunnelFlags = w[o + 13];
    }
    return d as unknown as NonNullable<NativeTableEntry['destinations'][number]>;
  }

  /** Service i as getTable({ stats: false }) gives it. */
  entry(i: number): ServiceEntry {
    const o = this.#offsets[i];
    const destinations = [];
    for (let j = 0, d = o + SERVICE_WORDS; j < this.words[o + 10]; j++, d += DESTINATION_WORDS) destinations.push(this.#nativeDestination(d));
    return tableEntry({ service: this.#nativeService(o) as NativeTableEntry['service'], destinations });
  }

  /** Every service as getTable({ stats: false }) gives them (made once, on first use). */
  entries(): ServiceEntry[] {
    this.#entries ??= this.#offsets.map((_, i) => this.entry(i));
    return this.#entries;
  }

  /**
   * Connection counters of the destinations of these services (keys by id), by
   * `${serviceId}>${endpointId}`. Only services listed at one of their addresses get an id made.
   */
  connections(services: ReadonlyMap<string, ServiceKey>): Map<string, { active: number; inactive: number }> {
    const out = new Map<string, { active: number; inactive: number }>();
    if (services.size === 0) return out;
    const addresses = new Set<string>();
    for (const key of services.values()) if ('address' in key) addresses.add(key.address);
    const w = this.words;
    this.#offsets.forEach((o, i) => {
      if (!w[o + 2] && !addresses.has(this.#text(w[o + 3]))) return;
      const id = this.id(i);
      if (!services.has(id)) return;
      for (let j = 0, d = o + SERVICE_WORDS; j < w[o + 10]; j++, d += DESTINATION_WORDS)
        out.set(`${id}>${this.#text(w[d + 1])}/${w[d + 2]}`, { active: w[d + 7], inactive: w[d + 8] });
    });
    return out;
  }

  /**
   * Service config at o, one object per distinct config: found among those made so far by their
   * words (a table's services share a few configs; a string key per service was 3 MB of garbage
   * for 10,000), by a text key only past CONFIG_SCAN distinct ones.
   */
  #config(o: number): ServiceConfig {
    const w = this.words;
    const made = this.#configs;
    for (let c = 0; c < made.length && c < CONFIG_SCAN; c++) {
      const at = made[c].at;
      if (w[at] === w[o] && w[at + 5] === w[o + 5] && w[at + 6] === w[o + 6] && w[at + 7] === w[o + 7]
        && w[at + 8] === w[o + 8] && w[at + 9] === w[o + 9]) return made[c].config;
    }
    const key = made.length < CONFIG_SCAN ? '' : `${w[o]}/${w[o + 5]}/${w[o + 6]}/${w[o + 7]}/${w[o + 8]}/${w[o + 9]}`;
    const known = key && this.#configsByText.get(key);
    if (known) return known;
    const config = serviceInfo({ cmd: 0, service: this.#nativeService(o) as NativeTableEntry['service'] }).config;
    if (key) this.#configsByText.set(key, config);
    else made.push({ at: o, config });
    return config;
  }

  /** Whether destination words at d hold `want`'s config (convert.ts's reading of them, without its objects). */
  #sameDestination(d: number, want: TableDestination): boolean {
    const w = this.words;
    const c = want.config;
    if (this.#text(w[d + 1]) !== want.key.address || w[d + 2] !== want.key.port) return false;
    const forwarding = nameOf(FORWARDING, w[d + 3]) ?? 'masq';
    if (forwarding !== c.forwarding || w[d + 4] !== c.weight || w[d + 5] !== c.upperThreshold || w[d + 6] !== c.lowerThreshold) return false;
    if (forwarding !== 'tunnel') return c.tunnel === null;
    return c.tunnel !== null && (nameOf(TUNNEL_TYPES, w[d + 11]) ?? 'ipip') === c.tunnel.type && w[d + 12] === c.tunnel.port
      && (nameOf(TUNNEL_CHECKSUMS, w[d + 13]) ?? 'nocsum') === c.tunnel.checksum;
  }

  /**
   * Whether service i is exactly `want`: its config, and the same destinations with equal configs.
   * The kernel lists a service's destinations newest first (each add goes to the head of its list):
   * compared in step with `want`'s order reversed, then as it is, then by id. Equal counts and
   * every listed one found once make the same set.
   */
  #same(i: number, want: TableService): boolean {
    const o = this.#offsets[i];
    const w = this.words;
    const n = w[o + 10];
    if (n !== want.destinations.size || !sameServiceConfig(this.#config(o), want.config)) return false;
    const first = o + SERVICE_WORDS;
    const dests = destinationsOf(want);
    let j = 0;
    while (j < n && this.#sameDestination(first + (n - 1 - j) * DESTINATION_WORDS, dests[j])) j++;
    if (j === n) return true;
    j = 0;
    while (j < n && this.#sameDestination(first + j * DESTINATION_WORDS, dests[j])) j++;
    if (j === n) return true;
    const found = new Set<TableDestination>();
    for (let j = 0, d = first; j < n; j++, d += DESTINATION_WORDS) {
      const dest = want.destinations.get(`${this.#text(w[d + 1])}/${w[d + 2]}`);
      if (!dest || !this.#sameDestination(d, dest)) return false;
      found.add(dest);
    }
    return found.size === n; // a repeat would stand in for one of want's that was not listed
  }

  /**
   * The place in like (indexOf) of the service that service i is listed as, found without i's id:
   * by its address text (the listing's own string, hashed once), then protocol and port; a
   * firewall-mark service by its id.
   */
  #wanted(i: number, like: ReadonlyMap<string, TableService>): number | undefined {
    const o = this.#offsets[i];
    const w = this.words;
    const { services, byText } = indexOf(like);
    const at = byText.get(w[o + 2] ? this.id(i) : this.#text(w[o + 3]));
    if (at === undefined || w[o + 2]) return at as number | undefined;
    const protocol = nameOf(PROTOCOLS, w[o + 1]);
    const port = w[o + 4];
    if (typeof at === 'number') return listedAs(services[at], protocol, port) ? at : undefined;
    const places = at.get(port);
    if (places) for (const place of places) if (listedAs(services[place], protocol, port)) return place;
    return undefined;
  }

  /**
   * The services by serviceId for a Table, sharing `like`'s objects where equal (see listing.ts):
   * a service listed exactly as `like` holds it is `like`'s own object, made without any object;
   * any other is made from its entry by listing.ts. A repeated id keeps its first listing.
   * A listing exactly `like` (a no-op apply's) is `like` itself: no id made, no map built.
   */
  services(like?: ReadonlyMap<string, TableService>): ReadonlyMap<string, TableService> {
    const index = like && indexOf(like);
    const out = new Map<string, TableService>();
    let i = 0;
    if (like && index) {
      // The leading services that are like's, each exactly and none twice: as many as like has
      // are like itself. Otherwise they start the map, not looked up again.
      const seen = new Uint8Array(like.size);
      const places = new Uint32Array(this.size);
      for (; i < this.size; i++) {
        const place = this.#wanted(i, like);
        if (place === undefined || seen[place]++ || !this.#same(i, index.services[place])) break;
        places[i] = place;
      }
      if (i === this.size && i === like.size) return like;
      for (let j = 0; j < i; j++) out.set(index.ids[places[j]], index.services[places[j]]);
    }
    const rest: ServiceEntry[] = [];
    for (; i < this.size; i++) {
      // One of like's: its id string is like's own (none made).
      const place = like && this.#wanted(i, like);
      const id = place === undefined ? this.id(i) : index!.ids[place];
      if (out.has(id)) continue;
      const want = place === undefined ? undefined : index!.services[place];
      if (want && this.#same(i, want)) {
        out.set(id, want);
        continue;
      }
      out.set(id, undefined as never); // its place in the order; filled below
      rest.push(this.entry(i));
    }
    for (const [id, s] of listingServices(rest, like)) out.set(id, s);
    return out;
  }
}

/** Whether `s` is the address service of that protocol and port (its address already matched). */
function listedAs(s: TableService, protocol: string | undefined, port: number): boolean {
  return s.key.kind === 'address' && s.key.port === port && s.key.protocol === protocol;
}

/** A service's destinations as an array, made once per service (a Map's iterator is an object a call). */
const destinationArrays = new WeakMap<TableService, readonly TableDestination[]>();

function destinationsOf(s: TableService): readonly TableDestination[] {
  let list = destinationArrays.get(s);
  if (!list) destinationArrays.set(s, (list = [...s.destinations.values()]));
  return list;
}

/**
 * A table's services (and their ids) in order, and their places by address text or, for firewall-mark services,
 * by id: one place, or for an address several services share (other ports, protocols) their
 * places by port; made once per table.
 */
interface Index {
  ids: string[];
  services: TableService[];
  byText: Map<string, number | Map<number, number[]>>;
}
const indexes = new WeakMap<ReadonlyMap<string, TableService>, Index>();

function indexOf(like: ReadonlyMap<string, TableService>): Index {
  let index = indexes.get(like);
  if (!index) {
    const services = [...like.values()];
    const byText: Index['byText'] = new Map();
    const portOf = (place: number) => (services[place].key as { port?: number }).port ?? 0;
    services.forEach((s, place) => {
      const text = s.key.kind === 'address' ? s.key.address : fwmarkServiceId(s.key.family, s.key.fwmark);
      let there = byText.get(text);
      if (there === undefined) return void byText.set(text, place);
      if (typeof there === 'number') {
        const first = there;
        byText.set(text, (there = new Map([[portOf(first), [first]]])));
      }
      const port = portOf(place);
      const same = there.get(port);
      if (same) same.push(place);
      else there.set(port, [place]);
    });
    index = { ids: [...like.keys()], services, byText };
    indexes.set(like, index);
  }
  return index;
}
