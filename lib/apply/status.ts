/**
 * ipvs.status(options): the table as the kernel has it, read beside apply's ownership record:
 * which services apply manages, which destinations are draining (since when, their connections,
 * the drain timeout left when the caller says what it is). Reads only; sends nothing, saves nothing.
 */
import { MAX_TIMEOUT_MS } from '../call';
import { endpointId, serviceId } from '../keys';
import type { DestinationInfo, ServiceEntry, ServiceKey } from '../types';
import { boolean, integer, onlyKeys, own, plainObject } from '../validate/primitives';
import { serviceKey } from '../validate/service';
import { drainId, listedServiceId } from './drains';
import { loadRecord, storeOf } from './ownership';
import type { DrainRecord, OwnershipStore } from './types';

export interface StatusOptions {
  /** The ownership record apply keeps (the same `{ file }` or store given to apply). Default: this client's memory, as apply's. */
  ownership?: { file: string } | OwnershipStore;
  /** The drain timeout apply runs with, in ms: the record does not hold it. Given, each drain shows the time it has left. */
  drainTimeout?: number;
  /** Read the table until two readings agree (getTable's `consistent`). Default false: one reading. */
  consistent?: boolean;
  /** Milliseconds for the reading. Default: the client's timeout. */
  timeout?: number;
}

/** A destination apply has set to weight 0 and will delete once it is idle or its drain timed out. */
export interface DrainStatus {
  /** When the drain began, ms since the epoch (the record's wall clock: it survives restarts). */
  since: number;
  /** Milliseconds since it began, at the reading. */
  elapsed: number;
  /** Milliseconds until the drain timeout deletes it anyway; null when no drainTimeout was given. */
  timeoutLeft: number | null;
  /** No connections left, or timed out: the next apply deletes it. */
  due: boolean;
}

export interface DestinationStatus extends DestinationInfo {
  /** null: not draining (as far as the record knows). */
  drain: DrainStatus | null;
}

export interface ServiceStatus extends Omit<ServiceEntry, 'destinations'> {
  /** In the ownership record: apply manages it (and with prune, removes it once no longer declared). */
  owned: boolean;
  destinations: DestinationStatus[];
}

export interface TableStatus {
  /** When the table was read, ms since the epoch. */
  at: number;
  /** Every service of the kernel, in the kernel's order. */
  services: ServiceStatus[];
  /** Owned services the kernel does not have (removed by someone else, or an apply cut short): an apply that declares them adds them again. */
  missing: ServiceKey[];
  /** Drains the record holds for destinations the kernel no longer has: done; the next apply forgets them. */
  drainsGone: DrainRecord[];
}

/** What status needs of a client (a test may give a fake). */
export interface StatusClient {
  getTable(options?: { timeout?: number; consistent?: boolean }): Promise<ServiceEntry[]>;
}

interface CheckedStatusOptions {
  store: OwnershipStore;
  drainTimeout: number | null;
  consistent: boolean;
  timeout: number;
}

function statusOptions(options: unknown, owner: object, clientTimeout: number): CheckedStatusOptions {
  const obj = options === undefined ? {} : plainObject(options, 'options');
  onlyKeys(obj, ['ownership', 'drainTimeout', 'consistent', 'timeout'], 'options');
  const drainTimeout = own(obj, 'drainTimeout');
  const consistent = own(obj, 'consistent');
  const timeout = own(obj, 'timeout');
  return {
    store: storeOf(own(obj, 'ownership'), owner),
    drainTimeout: drainTimeout === undefined ? null : integer(drainTimeout, 'options.drainTimeout', 0, MAX_TIMEOUT_MS),
    consistent: consistent === undefined ? false : boolean(consistent, 'options.consistent'),
    timeout: timeout === undefined ? clientTimeout : integer(timeout, 'options.timeout', 1, MAX_TIMEOUT_MS),
  };
}

/** `now` is for tests: the wall clock of the reading. */
export async function tableStatus(client: StatusClient, options: unknown, clientTimeout: number, now: () => number = Date.now): Promise<TableStatus> {
  const o = statusOptions(options, client, clientTimeout);
  // The record first: it is input and may be refused, and then nothing is read from the kernel.
  const record = await loadRecord(o.store);
  const table = await client.getTable({ timeout: o.timeout, consistent: o.consistent });
  const at = now();
  const owned = new Set(record.services.map((k) => serviceId(serviceKey(k))));
  const drains = new Map(record.drains.map((d) => [drainId(d), d]));
  const seenServices = new Set<string>();
  const seenDrains = new Set<string>();
  const services = table.map((s): ServiceStatus => {
    const sid = listedServiceId(s.key);
    seenServices.add(sid);
    return {
      ...s,
      owned: owned.has(sid),
      destinations: s.destinations.map((d) => {
        const id = `${sid}>${endpointId(d.key)}`;
        const started = drains.get(id);
        if (started) seenDrains.add(id);
        return { ...d, drain: started ? drainStatus(started.since, d, at, o.drainTimeout) : null };
      }),
    };
  });
  return {
    at,
    services,
    missing: record.services.filter((k) => !seenServices.has(serviceId(serviceKey(k)))),
    drainsGone: record.drains.filter((d) => !seenDrains.has(drainId(d))),
  };
}

function drainStatus(since: number, d: DestinationInfo, at: number, timeout: number | null): DrainStatus {
  const elapsed = Math.max(0, at - since); // a clock stepped back: not negative
  const timeoutLeft = timeout === null ? null : Math.max(0, timeout - elapsed);
  return { since, elapsed, timeoutLeft, due: d.connections.active + d.connections.inactive === 0 || timeoutLeft === 0 };
}
