/**
 * Service and destination configs as the table holds them (frozen copies, never the caller's
 * objects), compared field by field, and turned back into the options addService/addDestination take.
 */
import type { DestinationConfig, DestinationOptions, ServiceConfig, ServiceOptions } from '../types';
import { deepFreeze, internDestinationConfig, internServiceConfig } from '../intern';
import type { FieldChange } from './types';

/** Service configs by content, as destination configs (below): 10,000 services share a few. */
export function copyServiceConfig(c: ServiceConfig): ServiceConfig {
  // The kernel holds flags as bits: their order means nothing, so the table keeps them sorted.
  const flags = [...c.schedulerFlags].sort();
  const p = c.persistence;
  const id = `${c.scheduler} ${flags.join(',')} ${c.onePacket}${p ? ` ${p.timeout} ${p.netmask}` : ''} ${JSON.stringify(c.persistenceEngine)}`;
  return internServiceConfig(id, () => Object.freeze({
    scheduler: c.scheduler,
    schedulerFlags: Object.freeze(flags) as ServiceConfig['schedulerFlags'],
    onePacket: c.onePacket,
    persistence: p ? Object.freeze({ timeout: p.timeout, netmask: p.netmask }) : null,
    persistenceEngine: c.persistenceEngine,
  }));
}

/**
 * Destination configs by content (intern.ts's text store): a table of 40,000 destinations holds a
 * handful of distinct configs, and one object each lets what is derived from a config (an add's
 * fields and options, below) be made once.
 */
export function copyDestinationConfig(c: DestinationConfig): DestinationConfig {
  const t = c.tunnel;
  const id = `${c.forwarding} ${c.weight} ${c.upperThreshold} ${c.lowerThreshold}${t ? ` ${t.type} ${t.port} ${t.checksum}` : ''}`;
  return internDestinationConfig(id, () => freshDestinationConfig(c));
}

function freshDestinationConfig(c: DestinationConfig): DestinationConfig {
  return Object.freeze({
    forwarding: c.forwarding,
    weight: c.weight,
    upperThreshold: c.upperThreshold,
    lowerThreshold: c.lowerThreshold,
    tunnel: c.tunnel ? Object.freeze({ type: c.tunnel.type, port: c.tunnel.port, checksum: c.tunnel.checksum }) : null,
  });
}

/** Every option given, so that the kernel ends up holding exactly this config whatever it held before. */
export function serviceOptionsOf(c: ServiceConfig): ServiceOptions {
  return {
    scheduler: c.scheduler,
    schedulerFlags: [...c.schedulerFlags],
    onePacket: c.onePacket,
    persistence: c.persistence ? { timeout: c.persistence.timeout, netmask: c.persistence.netmask } : false,
    persistenceEngine: c.persistenceEngine,
  };
}

export function destinationOptionsOf(c: DestinationConfig): DestinationOptions {
  return {
    forwarding: c.forwarding,
    weight: c.weight,
    upperThreshold: c.upperThreshold,
    lowerThreshold: c.lowerThreshold,
    tunnel: c.tunnel ? { type: c.tunnel.type, port: c.tunnel.port, checksum: c.tunnel.checksum } : null,
  };
}

/** Fields of an object-or-null value: compared one by one when both sides have one, whole otherwise. */
function compareNested<T extends object>(field: string, from: T | null, to: T | null, out: FieldChange[]): void {
  if (from === null || to === null) {
    if (from !== to) out.push({ field, from, to });
    return;
  }
  for (const name of Object.keys(to) as (keyof T & string)[])
    if (from[name] !== to[name]) out.push({ field: `${field}.${name}`, from: from[name], to: to[name] });
}

/** What changes from one service config to the other (both as the table holds them); [] when equal. */
export function serviceChanges(from: ServiceConfig, to: ServiceConfig): FieldChange[] {
  const out: FieldChange[] = [];
  if (from.scheduler !== to.scheduler) out.push({ field: 'scheduler', from: from.scheduler, to: to.scheduler });
  if (from.schedulerFlags.join(',') !== to.schedulerFlags.join(','))
    out.push({ field: 'schedulerFlags', from: [...from.schedulerFlags], to: [...to.schedulerFlags] });
  if (from.onePacket !== to.onePacket) out.push({ field: 'onePacket', from: from.onePacket, to: to.onePacket });
  compareNested('persistence', from.persistence, to.persistence, out);
  if (from.persistenceEngine !== to.persistenceEngine)
    out.push({ field: 'persistenceEngine', from: from.persistenceEngine, to: to.persistenceEngine });
  return out;
}

export function destinationChanges(from: DestinationConfig, to: DestinationConfig): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of ['forwarding', 'weight', 'upperThreshold', 'lowerThreshold'] as const)
    if (from[field] !== to[field]) out.push({ field, from: from[field], to: to[field] });
  compareNested('tunnel', from.tunnel, to.tunnel, out);
  return out;
}

/** An add's fields, each from null. */
export function serviceFields(c: ServiceConfig): FieldChange[] {
  return [
    { field: 'scheduler', from: null, to: c.scheduler },
    { field: 'schedulerFlags', from: null, to: [...c.schedulerFlags] },
    { field: 'onePacket', from: null, to: c.onePacket },
    { field: 'persistence', from: null, to: c.persistence ? { ...c.persistence } : null },
    { field: 'persistenceEngine', from: null, to: c.persistenceEngine },
  ];
}

/** What an add of an object with a (table-held, frozen) config says and sends: made once per config, frozen. */
export interface Added<Options> {
  readonly changes: readonly FieldChange[];
  readonly options: Readonly<Options>;
}

const addedServices = new WeakMap<ServiceConfig, Added<ServiceOptions>>();
const addedDestinations = new WeakMap<DestinationConfig, Added<DestinationOptions>>();

function addedOnce<C extends object, O>(made: WeakMap<C, Added<O>>, c: C, make: () => Added<O>): Added<O> {
  let a = made.get(c);
  if (a === undefined) made.set(c, (a = deepFreeze(make())));
  return a;
}

export function addedService(c: ServiceConfig): Added<ServiceOptions> {
  return addedOnce(addedServices, c, () => ({ changes: serviceFields(c), options: serviceOptionsOf(c) }));
}

export function addedDestination(c: DestinationConfig): Added<DestinationOptions> {
  return addedOnce(addedDestinations, c, () => ({ changes: destinationFields(c), options: destinationOptionsOf(c) }));
}

export function destinationFields(c: DestinationConfig): FieldChange[] {
  return [
    { field: 'forwarding', from: null, to: c.forwarding },
    { field: 'weight', from: null, to: c.weight },
    { field: 'upperThreshold', from: null, to: c.upperThreshold },
    { field: 'lowerThreshold', from: null, to: c.lowerThreshold },
    { field: 'tunnel', from: null, to: c.tunnel ? { ...c.tunnel } : null },
  ];
}
