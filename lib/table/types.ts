/** Public types of the table model: desired tables as plain objects, and plans. */
import type { BatchOperation, DestinationKey, DestinationOptions, ServiceKey, ServiceOptions } from '../types';

/** A destination of a desired table; options as addDestination takes them (same defaults). */
export interface DesiredDestination {
  destination: DestinationKey;
  options?: DestinationOptions;
}

/** A service of a desired table; options as addService takes them (same defaults). */
export interface DesiredService {
  service: ServiceKey;
  options?: ServiceOptions;
  destinations?: DesiredDestination[];
}

/** A whole table as plain objects: what a config file, or a caller, declares. */
export interface DesiredTable {
  services: DesiredService[];
}

export type PlanAction =
  | 'add-service' | 'update-service' | 'remove-service'
  | 'add-destination' | 'update-destination' | 'drain-destination' | 'remove-destination';

/** One field a step changes; `from` is null for an add, `to` null for a removal. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * One step of a plan and the batch operation that makes it. A 'drain-destination' step's operation
 * sets the weight to 0; removing the destination once its connections are gone is the caller's
 * (ipvs.apply's) later step, not part of this plan.
 */
export interface PlanStep {
  action: PlanAction;
  service: ServiceKey;
  destination?: DestinationKey;
  changes: readonly FieldChange[];
  operation: BatchOperation;
}

/** Ordered steps: capacity is added before any is taken away. Plain data (JSON.stringify works). */
export interface Plan {
  steps: PlanStep[];
}

export interface DiffOptions {
  /**
   * Services of the current table in scope, by key: only these may be updated or removed (and
   * their destinations changed). Default: exactly the services of the desired table.
   */
  manage?: readonly ServiceKey[];
  /**
   * Services the caller owns (created earlier): removed when in the current table and no longer
   * desired. Services outside `manage` and `prune` are never touched.
   */
  prune?: readonly ServiceKey[];
  /**
   * A leaving destination is first drained (weight 0) rather than deleted at once. Default true.
   * A predicate decides per destination (true: drain), e.g. delete a dead server at once but
   * drain one taken out of service.
   */
  drain?: boolean | DrainPredicate;
}

/** Whether a destination leaving `service` drains (true) or is deleted at once (false). */
export type DrainPredicate = (service: ServiceKey, destination: DestinationKey) => boolean;
