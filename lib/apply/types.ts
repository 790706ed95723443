/** Public types of ipvs.apply(): options, the ownership record and its store, the result. */
import type { IpvsError } from '../errors';
import type { DrainPredicate, Plan, PlanStep } from '../table/types';
import type { DestinationKey, ServiceKey } from '../types';

/** A destination being drained: at weight 0 since `since` (ms since the epoch, wall clock: it survives restarts). */
export interface DrainRecord {
  service: ServiceKey;
  destination: DestinationKey;
  since: number;
}

/**
 * What apply remembers between runs: the services it was asked to manage (removed by `prune` once
 * no longer declared) and the drains under way. Read back, it is input: validated field by field.
 */
export interface OwnershipRecord {
  version: 1;
  services: ServiceKey[];
  drains: DrainRecord[];
}

/** Where the record lives when not in a file: load() resolves an empty record ({ version: 1, services: [], drains: [] }) the first time. */
export interface OwnershipStore {
  load(): Promise<OwnershipRecord>;
  save(record: OwnershipRecord): Promise<void>;
}

export interface ApplyOptions {
  /** Compute and return the plan; send nothing, save nothing. */
  dryRun?: boolean;
  /** Also remove services of the ownership record that are no longer declared. Needs `ownership`. */
  prune?: boolean;
  /**
   * A leaving destination is drained (weight 0, deleted once idle or timed out) rather than deleted
   * at once. Default true. A predicate decides per destination (true: drain); it is asked on every
   * pass, so a destination it stops draining is deleted at the next.
   */
  drain?: boolean | DrainPredicate;
  /** A service to remove (prune) is drained first: its destinations at weight 0, the service deleted once all are done. Default false: removed at once. */
  drainServices?: boolean;
  /** Milliseconds a drain may last before the destination is deleted anyway. Default 300,000. */
  drainTimeout?: number;
  /** Poll until every drain is done (or `timeout` passes) instead of returning them in `draining`. */
  wait?: boolean;
  /** Milliseconds between polls with `wait`. Default 1,000. */
  pollInterval?: number;
  /** The ownership record: a JSON file (written atomically) or a store of your own. Default: kept in memory by this client. */
  ownership?: { file: string } | OwnershipStore;
  /** Read the kernel until two readings agree on the services in scope (declared, and owned with prune). Default true. */
  consistent?: boolean;
  /** Milliseconds for the whole call (every read and write, and the polls of `wait`). Default: the client's timeout, plus drainTimeout with `wait`. */
  timeout?: number;
  /**
   * Stops the apply where stopping leaves nothing half-done: before a pass sends anything (then
   * nothing of it took effect), between two batches of 512 operations, or while `wait` polls. Before
   * or between sends it rejects with IpvsPartialError (ECANCELED, `cause` the signal's reason) saying
   * which operations took effect; while waiting it resolves with what is still `draining`.
   */
  signal?: AbortSignal;
}

/**
 * What happened to a step: 'applied' (the kernel made it), 'existed' (an add met EEXIST for an
 * object the listing missed; a 'resolve' step after it makes it as desired), 'gone' (a removal or
 * drain of an object someone else removed meanwhile), 'failed', 'unknown' (sent, no answer), or
 * 'not-sent' (the call was cut short before it).
 */
export type StepOutcome = 'applied' | 'existed' | 'gone' | 'failed' | 'unknown' | 'not-sent';

export interface StepResult {
  step: PlanStep;
  outcome: StepOutcome;
  error?: IpvsError;
}

/** A destination at weight 0 waiting for its connections to end. */
export interface DrainingDestination {
  service: ServiceKey;
  destination: DestinationKey;
  /** When the drain began, ms since the epoch. */
  since: number;
  active: number;
  inactive: number;
}

export interface ApplyResult {
  /** The steps of the first pass: diff's steps, with a 'remove-destination' after each drain that is done. */
  plan: Plan;
  /** Every step sent (with `wait`, over every pass), in order, with its outcome. */
  results: StepResult[];
  /** Drains not done yet (empty after a `wait` that finished in time). */
  draining: DrainingDestination[];
  /** Whether the kernel was changed. */
  changed: boolean;
}
