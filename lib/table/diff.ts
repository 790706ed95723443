/**
 * diff(current, desired): the steps that make `current` hold `desired` for the services in scope,
 * ordered so that capacity is added before any is taken away: new services, service updates,
 * new and changed destinations, then drains and removals of destinations, services last.
 * Pure: no kernel, no I/O.
 *
 * Every add and update gives every option, so the kernel ends up holding exactly the desired
 * config whatever it held. A key the kernel cannot change in place (a service's key, a
 * destination's address, port or family) is another object: it leaves and arrives as two steps,
 * and the order above makes that add-before-remove.
 */
import { IpvsValidationError } from '../errors';
import { serviceId } from '../keys';
import { destinationOrder, serviceOrder } from '../rules/order';
import type { DestinationConfig, DestinationKey, ServiceConfig, ServiceKey } from '../types';
import type { NormalizedDestinationKey } from '../validate/destination';
import type { NormalizedServiceKey } from '../validate/service';
import { boolean, onlyKeys, own, plainObject } from '../validate/primitives';
import { publicServiceKey, serviceKey } from '../validate/service';
import {
  addedDestination, addedService, destinationChanges, destinationOptionsOf, serviceChanges, serviceOptionsOf,
} from './config';
import type { TableDestination, TableService } from './state';
import { Table } from './table';
import type { DiffOptions, Plan, PlanStep } from './types';
import { deepFreeze } from '../intern';
import type { ValidatedOp } from '../plan';

interface Scope {
  /**
   * Services of `current` removed when not desired: `manage` and `prune` together. Desired services
   * are always in scope (declaring a service is asking for it); any other service is never touched.
   */
  removable: Set<string>;
  /** Whether a leaving destination drains (true) or is deleted at once (false). */
  drain: (service: ServiceKey, destination: DestinationKey) => boolean;
}

function keyIds(value: unknown, field: string): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, 'an array of service keys');
  const ids = new Set<string>();
  for (let i = 0; i < value.length; i++) ids.add(serviceId(serviceKey(value[i], `${field}[${i}]`)));
  return ids;
}

function scopeOf(options: unknown): Scope {
  const obj = options === undefined ? {} : plainObject(options, 'options');
  onlyKeys(obj, ['manage', 'prune', 'drain'], 'options');
  const manage = own(obj, 'manage');
  const prune = keyIds(own(obj, 'prune'), 'options.prune');
  const drain = own(obj, 'drain');
  const removable = new Set([...keyIds(manage, 'options.manage'), ...prune]);
  return { removable, drain: drainOf(drain, 'options.drain') };
}

/**
 * options.drain: a boolean for every leaving destination, or a predicate asked per destination (the
 * director deletes servers health took out at once, and drains those that left its config).
 */
export function drainOf(value: unknown, field: string): (service: ServiceKey, destination: DestinationKey) => boolean {
  if (typeof value === 'function') {
    const ask = value as (service: ServiceKey, destination: DestinationKey) => unknown;
    return (service, destination) => {
      const answer = ask({ ...service }, { ...destination });
      if (typeof answer !== 'boolean') throw new IpvsValidationError(`${field}(…)`, answer, 'true or false from the drain predicate');
      return answer;
    };
  }
  const all = value === undefined ? true : boolean(value, field);
  return () => all;
}

/** Steps of one kind, each with its checked operation at the same index (see Steps). */
class Kind {
  readonly steps: PlanStep[] = [];
  readonly checked: ValidatedOp[] = [];
}

/** Steps by kind, in the order they are sent; each kind sorted as ipvsadm lists its objects. */
class Steps {
  /**
   * Each add, update and removal step comes with its checked operation: the tables' own normalized keys and
   * configs, what validateOp would make of the step's operation (an update's: what its options merged
   * over the current config make, which is its whole config; test/unit/table-validated.test.ts checks
   * both). A drain's is the current config at weight 0, what its `{ weight: 0 }` merged over it makes.
   * Kept beside the steps, index for index: a Map of 50,000 steps (a full apply) was fresh memory.
   */
  readonly addServices = new Kind();
  readonly updateServices = new Kind();
  readonly addDestinations = new Kind();
  readonly leaveDestinations = new Kind();
  readonly removeServices = new Kind();

  /** One shape for every checked op (no spread of a per-kind literal): 50,000 of them in a full apply. */
  remember(kind: Kind, step: PlanStep, op: ValidatedOp['kind'], service: NormalizedServiceKey, serviceConfig?: ServiceConfig,
    destination?: NormalizedDestinationKey, destinationConfig?: DestinationConfig): void {
    kind.steps.push(step);
    kind.checked.push(Object.freeze({ operation: step.operation, kind: op, service, serviceConfig, destination, destinationConfig, field: '' }));
  }

  all(): { steps: PlanStep[]; checked: ValidatedOp[] } {
    const out = { steps: [] as PlanStep[], checked: [] as ValidatedOp[] };
    // One set of places for every kind: the services of a full apply's adds are placed once, not twice.
    const places = new Places();
    for (const kind of [this.addServices, this.updateServices, this.addDestinations, this.leaveDestinations, this.removeServices]) {
      const order = ordered(kind.steps, places);
      for (const i of order ?? kind.steps.keys()) {
        out.steps.push(kind.steps[i]);
        out.checked.push(kind.checked[i]);
      }
    }
    return out;
  }
}

/** Where services and destinations sort, as ipvsadm lists them: worked out once per key in a diff. */
class Places {
  readonly #services = new Map<ServiceKey, string>();
  readonly #destinations = new Map<string, Map<number, string>>();

  service(key: ServiceKey): string {
    let place = this.#services.get(key);
    if (place === undefined) this.#services.set(key, (place = serviceOrder(key)));
    return place;
  }

  destination(key: DestinationKey | undefined): string {
    if (!key) return '';
    let byPort = this.#destinations.get(key.address);
    if (!byPort) this.#destinations.set(key.address, (byPort = new Map()));
    let place = byPort.get(key.port);
    if (place === undefined) byPort.set(key.port, (place = destinationOrder(key)));
    return place;
  }
}

/**
 * The order of steps sorted by service, then destination, as ipvsadm lists them, as indexes; null
 * when they are in that order already. Only steps are sorted, never whole tables: a no-op diff
 * sorts nothing. Each service's and each destination's place is worked out once (their keys
 * repeat: a full apply's 40,000 destination steps name 10,000 services and, in the bench, 4
 * addresses); steps already in order (a table read from the kernel or from ipvsadm -S) are checked
 * in one pass and not sorted.
 */
function ordered(steps: readonly PlanStep[], places: Places): number[] | null {
  if (steps.length < 2) return null;
  const compare = (a: PlanStep, b: PlanStep) =>
    byText(places.service(a.service), places.service(b.service)) || byText(places.destination(a.destination), places.destination(b.destination));
  // Checked in place: a table's steps usually come in order, and a copy of 50,000 keyed steps is fresh memory.
  let inOrder = true;
  for (let i = 1; i < steps.length && inOrder; i++) inOrder = compare(steps[i - 1], steps[i]) <= 0;
  if (inOrder) return null;
  // Out of order: each step's place looked up once, not at every comparison of the sort.
  const keyed = steps.map((step, i) => ({ i, service: places.service(step.service), destination: places.destination(step.destination) }));
  return keyed.sort((a, b) => byText(a.service, b.service) || byText(a.destination, b.destination)).map((x) => x.i);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function diff(current: Table, desired: Table, options?: DiffOptions): Plan {
  return checkedDiff(current, desired, options).plan;
}

/** @internal diff() with the checked operation of each step (see Steps), at its step's index, for apply's batch. */
export function checkedDiff(current: Table, desired: Table, options?: DiffOptions): { plan: Plan; checked: readonly ValidatedOp[] } {
  if (!(current instanceof Table)) throw new IpvsValidationError('current', current, 'a Table');
  if (!(desired instanceof Table)) throw new IpvsValidationError('desired', desired, 'a Table');
  const scope = scopeOf(options);
  const steps = new Steps();
  for (const [id, want] of desired.byId) {
    const have = current.byId.get(id);
    if (have && have.config === want.config && have.destinations === want.destinations) continue;
    // Frozen once per service: its steps' frozen operations hold it (apply sends what it checked).
    const service = deepFreeze(publicServiceKey(want.key));
    if (!have) {
      // Shared by every add of this config (frozen), as a destination's add is.
      const { changes, options } = addedService(want.config);
      steps.remember(steps.addServices, {
        action: 'add-service', service, changes,
        operation: { op: 'addService', service, options },
      }, 'addService', want.key, want.config);
    } else if (have.config !== want.config) {
      const changes = serviceChanges(have.config, want.config);
      // Checked with the whole config: it gives every option, so the kernel need not be read to merge it.
      if (changes.length)
        steps.remember(steps.updateServices, {
          action: 'update-service', service, changes,
          operation: { op: 'updateService', service, options: serviceOptionsOf(want.config) },
        }, 'updateService', want.key, want.config);
    }
    destinationSteps(service, have, want, scope.drain, steps);
  }
  for (const [id, have] of current.byId) {
    if (desired.byId.has(id) || !scope.removable.has(id)) continue;
    const service = publicServiceKey(have.key);
    steps.remember(
      steps.removeServices, { action: 'remove-service', service, changes: [], operation: { op: 'deleteService', service } }, 'deleteService', have.key,
    );
  }
  const all = steps.all();
  return { plan: { steps: all.steps }, checked: all.checked };
}

/** Frozen, as each step's operation is: apply sends them as they are (deepFreeze finds nothing to do). */
function publicDestination(d: TableDestination): DestinationKey {
  return Object.freeze({ address: d.key.address, port: d.key.port });
}

function destinationSteps(
  service: ServiceKey, have: TableService | undefined, want: TableService, drain: Scope['drain'], steps: Steps,
): void {
  for (const [id, d] of want.destinations) {
    const old = have?.destinations.get(id);
    if (old && old.config === d.config) continue;
    const destination = publicDestination(d);
    if (!old) {
      // Shared by every add of this config (frozen): 40,000 adds in a full apply, a handful of configs.
      const { changes, options } = addedDestination(d.config);
      steps.remember(steps.addDestinations, {
        action: 'add-destination', service, destination, changes,
        operation: Object.freeze({ op: 'addDestination', service, destination, options }),
      }, 'addDestination', want.key, undefined, d.key, d.config);
      continue;
    }
    const changes = destinationChanges(old.config, d.config);
    if (changes.length)
      steps.remember(steps.addDestinations, {
        action: 'update-destination', service, destination, changes,
        operation: Object.freeze({ op: 'updateDestination', service, destination, options: deepFreeze(destinationOptionsOf(d.config)) }),
      }, 'updateDestination', want.key, undefined, d.key, d.config);
  }
  if (!have) return;
  for (const [id, d] of have.destinations) {
    if (want.destinations.has(id)) continue;
    const destination = publicDestination(d);
    if (drain(service, destination)) {
      // Already at weight 0: the drain is under way (or was asked for before a restart); nothing to send again.
      const changes = d.config.weight === 0 ? [] : [{ field: 'weight', from: d.config.weight, to: 0 }];
      // Sent whole (the read config at weight 0), as updates are: a patch would read the kernel again
      // for its base at send time, two dumps a drain (the 1% apply's 50 drains cost 240 ms that way).
      steps.remember(steps.leaveDestinations, {
        action: 'drain-destination', service, destination, changes,
        operation: { op: 'updateDestination', service, destination, options: { weight: 0 } },
      }, 'updateDestination', want.key, undefined, d.key, Object.freeze({ ...d.config, weight: 0 }));
    } else {
      steps.remember(steps.leaveDestinations, {
        action: 'remove-destination', service, destination, changes: [], operation: { op: 'deleteDestination', service, destination },
      }, 'deleteDestination', want.key, undefined, d.key);
    }
  }
}
