/**
 * Public types of the health monitor: checkers, their settings (keepalived's semantics under the
 * library's names), the servers watched, and the events a transition emits. The director agent
 * (lib/director) composes the monitor with `apply`; a Node service can use the monitor alone.
 */
import type { DesiredTable } from '../table/types';
import type { DestinationKey, ServiceKey } from '../types';

/** Where a check connects: the real server's address and port, or the check target given for it. */
export interface CheckTarget {
  address: string;
  port: number;
  family: 'inet' | 'inet6';
}

/** What one check attempt found. */
export interface CheckOutcome {
  ok: boolean;
  /** Why, for a person: "connect ECONNREFUSED", "status 503", "timeout after 1000 ms", "200 OK". */
  reason: string;
  /** keepalived's dynamic weight (an exec check exiting 2-255 sets the weight to code-2). */
  weight?: number;
}

/**
 * A checker: one attempt against one target. It must settle by itself within `timeoutMs`, and at
 * once when `signal` aborts (the monitor stops, the server leaves). It never throws for a down
 * server: that is `{ ok: false, reason }`.
 */
export interface Checker {
  check(target: CheckTarget, timeoutMs: number, signal: AbortSignal): Promise<CheckOutcome>;
}

export interface HttpCheckSettings {
  /** Default '/'. */
  path?: string;
  /** Status codes or ranges ('200-299'); default ['200-299']. keepalived: status_code. */
  status?: (number | string)[];
  /** A regular expression (source text) the body must match. */
  body?: string;
  /** Host header; default the target's address (and port when not the scheme's). keepalived: virtualhost. */
  host?: string;
  /** https only: TLS server name (keepalived: sni_server_name); default the host setting's name (none for an address). */
  sni?: string;
  /** https only: verify the server's certificate (default false, as keepalived's SSL_GET). */
  verify?: boolean;
  /** https only: PEM text of the CAs to trust when verify is true. */
  ca?: string;
}

export interface DnsCheckSettings {
  /** Query type (keepalived: type); default 'SOA'. One of A, AAAA, NS, SOA, MX, TXT, CNAME, PTR, SRV. */
  type?: string;
  /** Query name (keepalived: name); default '.'. */
  name?: string;
}

export interface ExecCheckSettings {
  /** The program and its arguments; `{address}` and `{port}` in an argument are replaced by the target's. */
  command: string[];
  /** keepalived's dynamic weight: exit 2-255 means up with weight code-2. Default false (any non-0 is down). */
  dynamicWeight?: boolean;
}

export type CheckType = 'tcp' | 'http' | 'https' | 'dns' | 'exec' | 'none';

/**
 * How one real server is checked (keepalived's vocabulary in parentheses). Times are milliseconds.
 * Every field has a default, so `{ type: 'tcp' }` is complete.
 */
export interface HealthCheckSpec {
  /**
   * 'none': never checked, always up (keepalived: a real_server with no checker). Any other name
   * is a custom checker given to the HealthMonitor (its `checkers` option).
   */
  type: CheckType | (string & {});
  /** Between the starts of two checks (delay_loop). Default 5,000. */
  interval?: number;
  /** One attempt's limit, connect and answer (connect_timeout). Default 5,000, at most interval. */
  timeout?: number;
  /** Attempts after a failed one before the check counts as failed (retry). Default 1. */
  retries?: number;
  /** Wait before each retry (delay_before_retry). Default 1,000. */
  retryDelay?: number;
  /** Good checks in a row to go up (rise). Default 1. */
  rise?: number;
  /** Failed checks in a row to go down (fall). Default 1. */
  fall?: number;
  /** The first check waits a random time up to this, so checks do not fire in step (warmup). Default interval. */
  warmup?: number;
  /** A new server starts down until its first good check (alpha). Default false: it starts up. */
  alpha?: boolean;
  /** A down server is kept at weight 0 instead of removed (inhibit_on_failure). Default false. */
  inhibitOnFailure?: boolean;
  /** Check this address and port instead of the server's own (connect_ip, connect_port). */
  target?: { address?: string; port?: number };
  http?: HttpCheckSettings;
  dns?: DnsCheckSettings;
  exec?: ExecCheckSettings;
  /** A custom checker's own settings (plain JSON-like data), handed to it untouched. Custom types only. */
  settings?: Record<string, unknown>;
}

/**
 * A service's quorum (keepalived: quorum, hysteresis, sorry_server): the service is up while the
 * sum of its healthy servers' weights is at least `min`; it goes down below min - hysteresis and
 * back up at min + hysteresis. While it is down the sorry server is added to it.
 */
export interface QuorumSpec {
  /** Default 1. */
  min?: number;
  /** Default 0. */
  hysteresis?: number;
  /** Added (weight 1, the service's forwarding) while the quorum is lost. */
  sorryServer?: DestinationKey;
  /** keepalived's sorry_server_inhibit: keep the sorry server at weight 0 while the quorum holds. Default false. */
  sorryServerInhibit?: boolean;
  /** How the sorry server is reached; default the forwarding of the service's first destination ('masq' if none). */
  sorryServerForwarding?: 'masq' | 'route' | 'tunnel';
}

/** What the monitor watches: per service, its quorum and each destination's check. */
export interface HealthTable {
  services: HealthService[];
}

export interface HealthService {
  service: ServiceKey;
  quorum?: QuorumSpec;
  destinations: HealthDestination[];
}

export interface HealthDestination {
  destination: DestinationKey;
  /** The configured weight (the weight while up). */
  weight: number;
  check: HealthCheckSpec;
}

export type HealthState = 'up' | 'down';

/** One server's health now. */
export interface ServerHealth {
  service: ServiceKey;
  destination: DestinationKey;
  state: HealthState;
  /** The weight health gives it: configured weight when up, the dynamic weight if any, 0 when down. */
  weight: number;
  /** The last check's reason, and when it ended (ms since the epoch). */
  reason: string;
  checkedAt: number | null;
  /** Since when in this state (ms since the epoch). */
  since: number;
}

/** A server went up or down. */
export interface HealthTransition {
  service: ServiceKey;
  destination: DestinationKey;
  from: HealthState;
  to: HealthState;
  reason: string;
  /** When the deciding check ended, ms since the epoch. */
  at: number;
  /** When the server entered the old state. */
  since: number;
}

/** A service lost or regained its quorum. */
export interface QuorumTransition {
  service: ServiceKey;
  up: boolean;
  /** The sum of healthy weights that decided it. */
  weight: number;
  at: number;
}

/** Every check attempt's result (for metrics): latency in ms. */
export interface CheckEvent {
  service: ServiceKey;
  destination: DestinationKey;
  outcome: CheckOutcome;
  latencyMs: number;
  at: number;
}

/** The events of a HealthMonitor (an EventEmitter). */
export interface HealthEvents {
  transition: [HealthTransition];
  quorum: [QuorumTransition];
  check: [CheckEvent];
}

/**
 * The table the kernel should hold given health: `desired` with down servers removed (or at weight
 * 0 with inhibitOnFailure), dynamic weights applied, and each service that lost its quorum given
 * its sorry server. Servers health removed are listed in `removed`: apply deletes them at once
 * (no drain: they are known dead), whereas a server that left the config drains.
 */
export interface HealthyTable {
  table: DesiredTable;
  removed: { service: ServiceKey; destination: DestinationKey }[];
}
