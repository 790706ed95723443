/** Public types of the director agent: its options, the monitor it drives, its log records and events. */
import type { ApplyResult, OwnershipStore } from '../apply/types';
import type { ConfigFile, MetricsListen } from '../config/desired';
import type { HealthTable, HealthTransition, HealthyTable, QuorumTransition, ServerHealth } from '../health/types';
import type { FailoverParts } from '../failover/instance';
import type { Ipvs } from '../ipvs';
import type { DesiredTable } from '../table/types';
import type { ServiceKey } from '../types';
import type { VrrpTransition } from '../vrrp/events';

/**
 * What the director needs of a health monitor (lib/health's HealthMonitor is one): tests and
 * embedders may give their own.
 */
export interface DirectorMonitor {
  update(table: HealthTable): void;
  start(): void;
  stop(): Promise<void>;
  states(): ServerHealth[];
  quorums(): { service: ServiceKey; up: boolean; weight: number }[];
  healthy(desired: DesiredTable): HealthyTable;
  /** Optional: 'change' when healthy() may give another table without a transition (a dynamic weight). */
  on(event: 'change', listener: () => void): unknown;
  on(event: 'transition', listener: (t: HealthTransition) => void): unknown;
  on(event: 'quorum', listener: (q: QuorumTransition) => void): unknown;
  off(event: 'change', listener: () => void): unknown;
  off(event: 'transition', listener: (t: HealthTransition) => void): unknown;
  off(event: 'quorum', listener: (q: QuorumTransition) => void): unknown;
}

/** A running metrics endpoint (lib/metrics' serve()). */
export interface MetricsEndpoint {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export interface DirectorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DirectorOptions {
  ipvs: Ipvs;
  /** A config read by parseConfig/readConfig (validated already). */
  config: ConfigFile;
  /** The ownership record; default config.director.state's file, or one kept in memory by this Director. */
  ownership?: { file: string } | OwnershipStore;
  /** Default: a HealthMonitor of lib/health. */
  monitor?: DirectorMonitor;
  /** Serve GET /metrics: true for config.director.metrics, a listen address, or false. Default: the config's. */
  metrics?: boolean | MetricsListen;
  /** Every log record (one per transition, apply that changed or failed, reload, hook failure, start, stop). */
  log?: (record: LogRecord) => void;
  clock?: DirectorClock;
  /** The failover's wire, VIP effects, link reads and clock, in place of the host's (tests; embedders with their own). */
  failover?: FailoverParts;
}

export type LogEvent = 'start' | 'apply' | 'transition' | 'quorum' | 'reload' | 'notify' | 'metrics' | 'stop' | 'vrrp' | 'sync';

/** One line of the agent's log: `message` for a person, the rest for a machine (JSON lines). */
export interface LogRecord {
  /** ms since the epoch. */
  time: number;
  level: 'info' | 'warn' | 'error';
  event: LogEvent;
  message: string;
  [detail: string]: unknown;
}

/** Why an apply ran: the first one, a health change, the resync timer, a reload, stop with remove. */
export type ApplyReason = 'start' | 'health' | 'resync' | 'reload' | 'stop';

export interface DirectorEvents {
  transition: [HealthTransition];
  quorum: [QuorumTransition];
  /** After each apply: why it ran (several reasons when requests were coalesced), what it did. */
  apply: [{ reasons: ApplyReason[]; result: ApplyResult }];
  /** A VRRP instance changed state (config.vrrp). */
  vrrp: [VrrpTransition];
  /** An apply, a hook, or the metrics server failed; the agent carries on (the next resync retries). */
  failure: [Error];
  log: [LogRecord];
}
