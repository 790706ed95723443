/**
 * A virtual router's settings, judged and filled: the same field validators serve the machine's
 * constructor and the config file's `vrrp:` section (lib/config/vrrp-settings.ts), so a value is
 * valid in the file exactly when the machine would take it. Durations are milliseconds here;
 * centiseconds exist only on the wire (Advert.intervalCs).
 */
import { IpvsValidationError } from '../errors';
import { duration } from '../health/duration';
import { address, addressKind, boolean, integer, onlyKeys, oneOf, own, plainObject } from '../validate/primitives';
import type { VrrpFamily } from './types';

/** keepalived's garp_master_* settings: gratuitous ARP / unsolicited NA bursts after becoming master. */
export interface GarpSettings {
  /** Messages per burst right after becoming master (garp_master_repeat). Default 5. */
  repeat: number;
  /** ms after becoming master until a second burst; 0: none (garp_master_delay). Default 5000. */
  delay: number;
  /** ms between refresh bursts while master; 0: none (garp_master_refresh). Default 0. */
  refresh: number;
  /** Messages per refresh burst (garp_master_refresh_repeat). Default 1. */
  refreshRepeat: number;
  /** ms between the messages of a burst (garp_interval / garp_lower_prio…: keepalived's garp_interval). Default 0. */
  interval: number;
}

/** One tracked input (keepalived's track_script / track_interface entry): see priority.ts. */
export interface TrackSpec {
  name: string;
  /** > 0: added while up; < 0: subtracted while down; 0: down means fault. -253 to 253. */
  weight: number;
  /** Its state before the first report. Default true (up). */
  up?: boolean;
}

export interface VrrpMachineOptions {
  /** For events and logs (keepalived's vrrp_instance name). */
  name: string;
  vrid: number;
  family: VrrpFamily;
  /** 1-254, or 255: the address owner (master at once, never lowered). */
  priority: number;
  /** Advertisement_Interval, ms: 10 to 40,950 in steps of 10 (centiseconds on the wire). Default 1000. */
  interval?: number;
  /** Preempt_Mode. Default true; an owner (255) always preempts. */
  preempt?: boolean;
  /** ms a router that starts or returns from fault stays backup before it may preempt. Default 0. */
  preemptDelay?: number;
  /** Accept_Mode, handed to becomeMaster(): RFC 5798 §6.1; true is what a load balancer needs (docs/failover.md). Default true. */
  accept?: boolean;
  /** The virtual addresses (IPvX_Addresses), all of family; at least one. */
  addresses: readonly string[];
  /** This router's primary address on the interface (the adverts' source): breaks ties between equal priorities. */
  primaryAddress: string;
  garp?: Partial<GarpSettings>;
  track?: readonly TrackSpec[];
  /** ms in fault after becomeMaster() failed, before the router tries again. Default 10,000. */
  effectRetry?: number;
}

export type CheckedMachineOptions = Required<Omit<VrrpMachineOptions, 'garp' | 'track' | 'addresses'>> & {
  addresses: string[];
  garp: GarpSettings;
  track: Required<TrackSpec>[];
};

export const OWNER_PRIORITY = 255;
export const MAX_TRACK_WEIGHT = 253;
/** An interval is sent in 12 bits of centiseconds. */
export const MAX_INTERVAL_MS = 4095 * 10;
export const MAX_PREEMPT_DELAY_MS = 3_600_000;
const MAX_GARP_MS = 86_400_000;

export function defaultGarp(): GarpSettings {
  return { repeat: 5, delay: 5000, refresh: 0, refreshRepeat: 1, interval: 0 };
}

export const vrid = (value: unknown, field: string): number => integer(value, field, 1, 255);
export const priority = (value: unknown, field: string): number => integer(value, field, 1, OWNER_PRIORITY);

/** An advertisement interval: a duration of whole centiseconds, 10 ms to 40.95 s. */
export function advertInterval(value: unknown, field: string): number {
  const ms = duration(value, field, 10, MAX_INTERVAL_MS);
  if (ms % 10 !== 0) throw new IpvsValidationError(field, value, 'a whole number of centiseconds (a multiple of 10 ms): VRRPv3 sends the interval in centiseconds');
  return ms;
}

export const preemptDelay = (value: unknown, field: string): number => duration(value, field, 0, MAX_PREEMPT_DELAY_MS);

export function trackWeight(value: unknown, field: string): number {
  return integer(value, field, -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT);
}

/** One garp field (durations in ms or text, counts 1-100). */
export function garpField(name: keyof GarpSettings, value: unknown, field: string): number {
  switch (name) {
    case 'repeat':
    case 'refreshRepeat':
      return integer(value, field, 1, 100);
    case 'delay':
      return duration(value, field, 0, MAX_GARP_MS);
    case 'refresh': {
      const ms = duration(value, field, 0, MAX_GARP_MS);
      if (ms > 0 && ms < 100) throw new IpvsValidationError(field, value, 'a duration of at least 100 ms, or 0 (no refresh)');
      return ms;
    }
    case 'interval':
      return duration(value, field, 0, 10_000);
  }
}

export const GARP_FIELDS = ['repeat', 'delay', 'refresh', 'refreshRepeat', 'interval'] as const;

/**
 * A VRRP address of family: canonical text; IPv4 and IPv6 never mixed in one router (RFC 5798
 * §5.2.9). `unicast` (a source or a peer) refuses multicast, broadcast and unspecified too.
 */
export function familyAddress(value: unknown, field: string, family: VrrpFamily, unicast = false): string {
  const a = address(value, field);
  const want = family === 'inet' ? 'ipv4' : 'ipv6';
  if (a.family !== want) throw new IpvsValidationError(field, value, `an ${want === 'ipv4' ? 'IPv4' : 'IPv6'} address (the router's family is ${family})`);
  if (unicast && addressKind(a) !== 'unicast') throw new IpvsValidationError(field, value, 'a unicast address');
  return a.address;
}

/** The options, judged and with defaults filled; IpvsValidationError naming the first bad field. */
export function checkMachineOptions(value: unknown, field = 'options'): CheckedMachineOptions {
  const obj = plainObject(value, field);
  const known = ['name', 'vrid', 'family', 'priority', 'interval', 'preempt', 'preemptDelay', 'accept', 'addresses', 'primaryAddress', 'garp', 'track', 'effectRetry'];
  onlyKeys(obj, known, field);
  const name = own(obj, 'name');
  if (typeof name !== 'string' || name === '' || name.length > 64) throw new IpvsValidationError(`${field}.name`, name, 'a name of 1 to 64 characters');
  const family = oneOf(own(obj, 'family'), `${field}.family`, ['inet', 'inet6'] as const);
  const prio = priority(own(obj, 'priority'), `${field}.priority`);
  const given = <T>(key: string, check: (v: unknown, f: string) => T, fallback: T): T => {
    const v = own(obj, key);
    return v === undefined ? fallback : check(v, `${field}.${key}`);
  };
  const preempt = given('preempt', boolean, true);
  if (prio === OWNER_PRIORITY && !preempt)
    throw new IpvsValidationError(`${field}.preempt`, false, 'true for an address owner (priority 255 always takes over)');
  const list = own(obj, 'addresses');
  if (!Array.isArray(list) || list.length === 0 || list.length > 255)
    throw new IpvsValidationError(`${field}.addresses`, list, 'a list of 1 to 255 virtual addresses');
  const addresses = list.map((a, i) => familyAddress(a, `${field}.addresses[${i}]`, family));
  const duplicate = addresses.findIndex((a, i) => addresses.indexOf(a) !== i);
  if (duplicate >= 0) throw new IpvsValidationError(`${field}.addresses[${duplicate}]`, list[duplicate], 'each address once');
  const garpGiven = own(obj, 'garp');
  const garp = defaultGarp();
  if (garpGiven !== undefined) {
    const g = plainObject(garpGiven, `${field}.garp`);
    onlyKeys(g, GARP_FIELDS, `${field}.garp`);
    for (const key of GARP_FIELDS) {
      const v = own(g, key);
      if (v !== undefined) garp[key] = garpField(key, v, `${field}.garp.${key}`);
    }
  }
  return {
    name,
    vrid: vrid(own(obj, 'vrid'), `${field}.vrid`),
    family,
    priority: prio,
    interval: given('interval', advertInterval, 1000),
    preempt,
    preemptDelay: given('preemptDelay', preemptDelay, 0),
    accept: given('accept', boolean, true),
    addresses,
    primaryAddress: familyAddress(own(obj, 'primaryAddress'), `${field}.primaryAddress`, family),
    garp,
    track: checkTracks(own(obj, 'track'), `${field}.track`, prio),
    effectRetry: given('effectRetry', (v, f) => duration(v, f, 100, MAX_PREEMPT_DELAY_MS), 10_000),
  };
}

function checkTracks(value: unknown, field: string, prio: number): Required<TrackSpec>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 256) throw new IpvsValidationError(field, value, 'a list of tracked inputs ({ name, weight })');
  const names = new Set<string>();
  return value.map((item, i) => {
    const at = `${field}[${i}]`;
    const t = plainObject(item, at);
    onlyKeys(t, ['name', 'weight', 'up'], at);
    const name = own(t, 'name');
    if (typeof name !== 'string' || name === '' || name.length > 256) throw new IpvsValidationError(`${at}.name`, name, 'a name of 1 to 256 characters');
    if (names.has(name)) throw new IpvsValidationError(`${at}.name`, name, 'a name not used by another tracked input');
    names.add(name);
    const weight = trackWeight(own(t, 'weight'), `${at}.weight`);
    if (prio === OWNER_PRIORITY && weight !== 0)
      throw new IpvsValidationError(`${at}.weight`, weight, "0 for an address owner (priority 255 is never lowered: a tracked input can only put it in fault)");
    const up = own(t, 'up');
    return { name, weight, up: up === undefined ? true : boolean(up, `${at}.up`) };
  });
}
