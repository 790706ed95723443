/** Public types of node-ipvs. Identity (keys) is kept apart from configuration and from read-only data. */

export type Family = 'ipv4' | 'ipv6';
export type Protocol = 'tcp' | 'udp' | 'sctp';

/**
 * Schedulers the 6.1 kernel ships. Any other name the kernel knows is accepted too
 * (the `string & {}` keeps editor completion for the known ones).
 */
export type Scheduler =
  | 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'fo' | 'ovf' | 'mh' | 'twos'
  | (string & {});

/** sh-* belong to the sh scheduler, mh-* to mh; flag-1..3 are the raw scheduler flags. */
export type SchedulerFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port' | 'flag-1' | 'flag-2' | 'flag-3';

/** How packets reach a real server: masq is LVS-NAT, route is LVS-DR, tunnel is LVS-TUN. */
export type ForwardingMethod = 'masq' | 'route' | 'tunnel' | 'local' | 'bypass';
export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';
export type DaemonState = 'master' | 'backup';

/** A virtual service by protocol, address and port. */
export interface AddressServiceKey {
  protocol: Protocol;
  /** IPv4 or IPv6, no zone. Returned in canonical form (IPv6 compressed, as ipvsadm -n prints it). */
  address: string;
  /** 1..65535; 0 only for persistent services (all ports). */
  port: number;
}

/** A virtual service by firewall mark. */
export interface FwmarkServiceKey {
  /** 1..2^32-1 */
  fwmark: number;
  /** Defaults to 'ipv4'. */
  family?: Family;
}

export type ServiceKey = AddressServiceKey | FwmarkServiceKey;

export interface Persistence {
  /** Seconds a client stays with its real server (1..2678400). */
  timeout: number;
  /** Prefix length grouping clients: 0..32 for IPv4 (default 32), 1..128 for IPv6 (default 128). */
  netmask: number;
}

/** A service's settings as the kernel holds them. */
export interface ServiceConfig {
  scheduler: Scheduler;
  schedulerFlags: SchedulerFlag[];
  /** One-packet scheduling (UDP: schedule every datagram). */
  onePacket: boolean;
  persistence: Persistence | null;
  /** Persistence engine, e.g. 'sip'; null for none. */
  persistenceEngine: string | null;
}

/** What addService and updateService take. Omitted fields: defaults for add, unchanged for update. */
export interface ServiceOptions {
  /** Default 'wlc', as ipvsadm. */
  scheduler?: Scheduler;
  schedulerFlags?: SchedulerFlag[];
  onePacket?: boolean;
  /**
   * Persistence: a timeout in seconds, or { timeout (default 360, as ipvsadm), netmask }. An IPv4 netmask may be given
   * as a dotted mask ('255.255.255.0'). `false` or null turns persistence off.
   */
  persistence?: number | { timeout?: number; netmask?: number | string } | false | null;
  persistenceEngine?: string | null;
}

export interface Stats {
  conns: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  /** Rates, per second, as the kernel estimates them. */
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

/** A service as listServices/getService return it. */
export interface ServiceInfo {
  key: ServiceKey;
  family: Family;
  config: ServiceConfig;
  stats: Stats;
}

export interface DestinationKey {
  /** IPv4 or IPv6; may differ from the service's family only with the tunnel method. */
  address: string;
  /** 0..65535. Route (DR) destinations take the service's port whatever is given. */
  port: number;
}

export interface Tunnel {
  type: TunnelType;
  /** UDP port for GUE (required there); 0 otherwise. */
  port: number;
  checksum: TunnelChecksum;
}

export interface DestinationConfig {
  forwarding: ForwardingMethod;
  /** 0..2^31-1; 0 quiesces the server (no new connections). */
  weight: number;
  /** Connection limits; 0 means none. lower must not exceed upper. */
  upperThreshold: number;
  lowerThreshold: number;
  /** Only for the tunnel method. */
  tunnel: Tunnel | null;
}

export interface DestinationOptions {
  /** Default 'route' (direct routing), as ipvsadm. */
  forwarding?: ForwardingMethod;
  /** Default 1. */
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  /** Tunnel type ipip (default), gue (needs port) or gre; only with forwarding 'tunnel'. */
  tunnel?: { type?: TunnelType; port?: number; checksum?: TunnelChecksum } | null;
}

export interface DestinationInfo {
  key: DestinationKey;
  family: Family;
  config: DestinationConfig;
  connections: { active: number; inactive: number; persistent: number };
  stats: Stats;
}

export interface Timeouts {
  /** Seconds. */
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface Info {
  /** e.g. '1.2.1' */
  version: string;
  versionCode: number;
  connectionTableSize: number;
}

export interface DaemonOptions {
  state: DaemonState;
  /** Interface the sync messages use. */
  interface: string;
  /** 0..255, default 0. */
  syncId?: number;
  /** Largest sync message payload in bytes. */
  maxLength?: number;
  /** Multicast group (IPv4 or IPv6); default 224.0.0.81. */
  group?: string;
  /** UDP port, default 8848. */
  port?: number;
  /** Multicast TTL, default 1. */
  ttl?: number;
}

export interface DaemonInfo {
  state: DaemonState;
  interface: string;
  syncId: number;
  maxLength: number | null;
  group: string | null;
  port: number | null;
  ttl: number | null;
}

export interface CallOptions {
  /** Milliseconds before the call rejects with ETIMEDOUT (default: the client's). */
  timeout?: number;
}

/** getTable's options. */
export interface TableOptions extends CallOptions {
  /**
   * Read until two consecutive readings agree on every key and config (at most 5 readings, else
   * IpvsError EAGAIN): a listing taken while the table changes can miss objects. Costs at least
   * two readings; the timeout covers them all.
   */
  consistent?: boolean;
  /**
   * false: counters neither decoded nor converted (every `stats` is zero); connection counts are
   * still read. Most of a listing's cost is its counters: apply reads this way. Default true.
   */
  stats?: boolean;
}

export interface OpenOptions {
  /** A network namespace: a name under /run/netns, or a path to a namespace file (e.g. /proc/PID/ns/net). */
  netns?: string;
  /** Default deadline of every call in milliseconds (default 10000). */
  timeout?: number;
}

/** One change in a batch. */
export type BatchOperation =
  | { op: 'addService'; service: ServiceKey; options?: ServiceOptions }
  | { op: 'updateService'; service: ServiceKey; options: ServiceOptions }
  | { op: 'deleteService'; service: ServiceKey }
  | { op: 'addDestination'; service: ServiceKey; destination: DestinationKey; options?: DestinationOptions }
  | { op: 'updateDestination'; service: ServiceKey; destination: DestinationKey; options: DestinationOptions }
  | { op: 'deleteDestination'; service: ServiceKey; destination: DestinationKey }
  | { op: 'zero'; service?: ServiceKey }
  | { op: 'flush' };

/**
 * Outcome of one batch operation: ok, or the error it got (with `code` 'ENOBUFS'/'ETIMEDOUT' when unknown).
 * `sent: false` marks an operation never sent because the batch stopped before it (IpvsPartialError).
 */
export type BatchResult =
  | { ok: true; operation: BatchOperation }
  | { ok: false; operation: BatchOperation; error: import('./errors').IpvsError; applied: 'no' | 'unknown'; sent?: false };

/** A service with its destinations, as getTable returns it. */
export interface ServiceEntry extends ServiceInfo {
  destinations: DestinationInfo[];
}

/** What formatRules needs of a table: identity and settings (stats are ignored). */
export interface RulesService {
  key: ServiceKey;
  config: ServiceConfig;
  destinations: readonly { key: DestinationKey; config: DestinationConfig }[];
}

/**
 * Lines of rules text that change IPVS settings rather than the table, as `ipvsadm -R` reads them:
 * `--set TCP TCPFIN UDP` (0 leaves a timeout as it is), `--start-daemon STATE [options]`, `--stop-daemon STATE`.
 */
export type SettingOperation =
  | { op: 'setTimeouts'; timeouts: Partial<Timeouts> }
  | { op: 'startDaemon'; daemon: DaemonOptions }
  | { op: 'stopDaemon'; state: DaemonState };

/** What one line of rules text does. */
export type RuleOperation = BatchOperation | SettingOperation;

/** One command line of rules text and the operation it means. */
export interface ParsedRule {
  /** 1-based line number in the text. */
  line: number;
  /** The line as written. */
  text: string;
  operation: RuleOperation;
}

export interface FormatOptions {
  /**
   * Write -x/-y for destinations with connection thresholds (default true). `ipvsadm -S`
   * drops them; `ipvsadm -R` reads them. False gives exactly ipvsadm's lines.
   */
  thresholds?: boolean;
}

export interface RestoreOptions extends CallOptions {
  /**
   * Stop at the first line that fails: later lines are not sent (status 'skipped'). Lines
   * then go one per round trip, so this is slower than the default, which sends everything
   * in batches and reports every failure.
   */
  stopOnError?: boolean;
  /** Called as lines complete (done, total), for progress display. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Stops the restore before its next send once aborted: the send in flight finishes, and the restore
   * rejects with IpvsPartialError (code ECANCELED) saying which lines took effect.
   */
  signal?: AbortSignal;
}

/** The outcome of one line of a restore. */
export interface RestoreLineResult {
  line: number;
  text: string;
  operation: RuleOperation;
  /** applied: took effect; failed: refused (see error); unknown: sent, answer lost; skipped: not sent. */
  status: 'applied' | 'failed' | 'unknown' | 'skipped';
  error?: import('./errors').IpvsError;
}

export interface RestoreResult {
  /** Every command line, in text order. */
  lines: RestoreLineResult[];
  applied: number;
  failed: number;
  unknown: number;
  skipped: number;
  /** True when every line was applied. */
  ok: boolean;
}

// ---- the connection table (listConnections) ----

/** The kernel's protocol of a connection entry; 'ip' is a firewall-mark service's persistence template. */
export type ConnectionProtocol = 'tcp' | 'udp' | 'sctp' | 'ah' | 'esp' | 'ip';

export interface ConnectionEndpoint {
  /** IPv4 or IPv6 in canonical form (IPv6 compressed, as ipvsadm -n prints it). */
  address: string;
  /** 0..65535 (0 in a persistence template's client port). */
  port: number;
}

/** One entry of the kernel's connection table, as `ipvsadm -Lnc` shows it. */
export interface ConnectionEntry {
  protocol: ConnectionProtocol;
  /** The family of the client and virtual addresses. */
  family: Family;
  client: ConnectionEndpoint;
  virtual: ConnectionEndpoint;
  /** The real server; of the other family only behind a tunnel to a server of that family. */
  destination: ConnectionEndpoint;
  /** The kernel's state name: 'ESTABLISHED', 'SYN_RECV', 'TIME_WAIT', 'UDP'; a persistence template's is 'NONE' or 'ASSURED'. */
  state: string;
  /** Whole seconds until the entry expires. */
  expires: number;
  /** The persistence engine's name and data (e.g. a SIP Call-ID), or null; data is one character per byte (latin1). */
  persistenceEngine: { name: string; data: string } | null;
  /** With `{ origin: true }` only: created here ('local') or received from a sync master ('sync'). */
  origin?: 'local' | 'sync';
}

export interface ConnectionOptions extends CallOptions {
  /** Also report where each entry came from (read from /proc/net/ip_vs_conn_sync). */
  origin?: boolean;
}
