/**
 * Drains: a destination leaving the desired state is set to weight 0 (diff's drain step), kept
 * while it has connections, and deleted once it has none or its drain timed out.
 *
 * Connections are the listing's counters: active + inactive. For UDP, IPVS never counts a
 * connection as active; its entries are counted inactive until they expire (the udp timeout,
 * 300 s by default), so a UDP destination drains until the entries of its recent clients expire.
 */
import { endpointId, serviceId } from '../keys';
import { listedServiceId } from '../table/listing';
import type { Table } from '../table/table';
import type { PlanStep } from '../table/types';
import { PackedListing } from '../table/packed';
import type { ServiceEntry } from '../types';
import { destinationKey } from '../validate/destination';
import { serviceKey } from '../validate/service';
import type { DrainRecord, DrainingDestination } from './types';

export type Connections = ReadonlyMap<string, { active: number; inactive: number }>;

export function drainId(step: { service: unknown; destination?: unknown }): string {
  return `${serviceId(serviceKey(step.service))}>${endpointId(destinationKey(step.destination))}`;
}

/** The id of a service as the kernel lists it (no validation: this runs for every service of every listing). */
export { listedServiceId };

/** The listing's connection counters of the destinations that drain steps name (none read without drains). */
export function connectionsOf(entries: readonly ServiceEntry[] | PackedListing, steps: readonly PlanStep[]): Connections {
  const out = new Map<string, { active: number; inactive: number }>();
  const draining = new Map(steps.filter((s) => s.action === 'drain-destination').map((s) => [serviceId(serviceKey(s.service)), s.service]));
  if (draining.size === 0) return out;
  if (entries instanceof PackedListing) return entries.connections(draining);
  for (const s of entries) {
    const sid = listedServiceId(s.key);
    if (!draining.has(sid)) continue;
    for (const d of s.destinations) out.set(`${sid}>${endpointId(d.key)}`, d.connections);
  }
  return out;
}

/**
 * With drainServices: a service to remove is drained first. Its destinations get drain steps
 * (before its remove-service step); planDrains then keeps the service until all of them are done.
 */
export function drainingServices(steps: readonly PlanStep[], current: Table): PlanStep[] {
  return steps.flatMap((step): PlanStep[] => {
    if (step.action !== 'remove-service') return [step];
    const drains = (current.service(step.service)?.destinations ?? []).map((d): PlanStep => ({
      action: 'drain-destination', service: step.service, destination: { ...d.key },
      changes: d.config.weight === 0 ? [] : [{ field: 'weight', from: d.config.weight, to: 0 }],
      operation: { op: 'updateDestination', service: step.service, destination: { ...d.key }, options: { weight: 0 } },
    }));
    return [...drains, step];
  });
}

export interface DrainPlan {
  /** diff's steps with a drain step that has nothing to send left out, and a removal after each drain that is done. */
  steps: PlanStep[];
  /** Every step of the plan as a person reads it (drains kept, done or not). */
  shown: PlanStep[];
  draining: DrainingDestination[];
  /** The drains under way after this pass, for the ownership record. */
  records: DrainRecord[];
}

export function planDrains(steps: readonly PlanStep[], connections: Connections, started: readonly DrainRecord[], now: number, timeout: number): DrainPlan {
  // Nothing drains (a whole table added, say): the steps as they are, not two copies of 50,000.
  if (!steps.some((s) => s.action === 'drain-destination' || s.action === 'remove-service')) {
    const same = steps as PlanStep[];
    return { steps: same, shown: same, draining: [], records: [] };
  }
  const since = new Map(started.map((d) => [drainId(d), d.since]));
  const out: DrainPlan = { steps: [], shown: [], draining: [], records: [] };
  const busy = new Set<string>();
  for (const step of steps) {
    if (step.action === 'remove-service' && busy.has(serviceId(serviceKey(step.service)))) {
      out.shown.push(step); // kept until its destinations have drained
      continue;
    }
    if (step.action !== 'drain-destination') {
      out.steps.push(step);
      out.shown.push(step);
      continue;
    }
    const id = drainId(step);
    const began = since.get(id) ?? now;
    const { active, inactive } = connections.get(id) ?? { active: 0, inactive: 0 };
    if (step.changes.length) out.steps.push(step);
    out.shown.push(step);
    if (active + inactive === 0 || now - began >= timeout) {
      const removal: PlanStep = {
        action: 'remove-destination', service: step.service, destination: step.destination, changes: [],
        operation: { op: 'deleteDestination', service: step.service, destination: step.destination! },
      };
      out.steps.push(removal);
      out.shown.push(removal);
    } else {
      busy.add(serviceId(serviceKey(step.service)));
      out.draining.push({ service: step.service, destination: step.destination!, since: began, active, inactive });
      out.records.push({ service: step.service, destination: step.destination!, since: began });
    }
  }
  return out;
}
