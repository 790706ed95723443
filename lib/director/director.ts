/**
 * The director agent as a class: a config applied with `apply`, health checks turning servers'
 * results into removals and weights, the kernel re-read on a timer to repair drift, reloads that
 * change only what differs, and a stop that keeps the table or removes what it owns.
 *
 * Every apply runs through one Serial: one at a time, and the requests made while one runs are
 * served by one more apply after it (a burst of transitions is two applies, not one per server).
 * A health change or a reload pre-empts a resync that has not begun sending: it does not wait behind it.
 */
import { EventEmitter } from 'node:events';
import type { ApplyOptions, ApplyResult, OwnershipRecord, OwnershipStore } from '../apply/types';
import { emptyRecord } from '../apply/record';
import type { ConfigFile, MetricsListen } from '../config/desired';
import { IpvsPartialError, IpvsValidationError } from '../errors';
import { hostPort } from '../describe';
import type { HealthTransition, QuorumTransition } from '../health/types';
import { endpointId, serviceId } from '../keys';
import { Failover, type FailoverStatus } from '../failover/failover';
import type { FailoverParts } from '../failover/instance';
import { createMetrics, type IpvsMetrics } from '../metrics';
import { serviceLabel } from '../table/format-plan';
import type { DestinationKey, ServiceKey } from '../types';
import { onlyKeys, own, plainObject } from '../validate/primitives';
import { destinationKey } from '../validate/destination';
import { serviceKey } from '../validate/service';
import { DIRECTOR_FIELDS, NOTIFY_FIELDS, directorSetting, notifyCommand } from '../config/director-settings';
import { applyRecord, quorumRecord, transitionRecord } from './log';
import { defaultMonitor } from './monitor';
import { runHook } from './notify';
import { Serial } from './serial';
import type {
  ApplyReason, DirectorClock, DirectorEvents, DirectorMonitor, DirectorOptions, LogRecord, MetricsEndpoint,
} from './types';

const SYSTEM_CLOCK: DirectorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * A health change or a reload does not wait behind a resync: the resync stops unless it is already
 * sending, and their apply (which reads the kernel too) repairs the drift in its place.
 */
const onlyResync = (running: readonly ApplyReason[]) => running.every((r) => r === 'resync');

function idOf(service: ServiceKey, destination: DestinationKey): string {
  return `${serviceId(serviceKey(service))}>${endpointId(destinationKey(destination))}`;
}

function memoryStore(): OwnershipStore {
  let record: OwnershipRecord = emptyRecord();
  return { load: async () => record, save: async (r) => void (record = r) };
}

/**
 * A config as readConfig gives it; its settings judged again (a config may be built by hand),
 * so a resyncInterval of 0 or a hook that is not a list never reaches a timer or spawn().
 */
function checkConfig(value: unknown, field: string): ConfigFile {
  const c = plainObject(value, field);
  for (const key of ['table', 'health', 'director', 'vrrp'])
    if (typeof own(c, key) !== 'object' || c[key] === null)
      throw new IpvsValidationError(`${field}.${key}`, c[key], 'a config read by parseConfig() or readConfig()');
  const settings = c.director as Record<string, unknown>;
  const vrrp = c.vrrp as Record<string, unknown>;
  if (!Array.isArray(own(vrrp, 'instances')) || (own(vrrp, 'sync') !== null && typeof vrrp.sync !== 'object'))
    throw new IpvsValidationError(`${field}.vrrp`, vrrp, 'the vrrp settings read by parseConfig() or readConfig()');
  onlyKeys(settings, DIRECTOR_FIELDS, `${field}.director`);
  for (const name of DIRECTOR_FIELDS) {
    const v = own(settings, name);
    if (v === undefined) throw new IpvsValidationError(`${field}.director.${name}`, v, 'a value (readConfig fills every default)');
    if (name === 'notify') {
      const hooks = plainObject(v, `${field}.director.notify`);
      onlyKeys(hooks, NOTIFY_FIELDS, `${field}.director.notify`);
      for (const hook of NOTIFY_FIELDS) if (own(hooks, hook) !== undefined) notifyCommand(hooks[hook], `${field}.director.notify.${hook}`);
    } else if (name === 'state') {
      if (v !== null) directorSetting(name, v, `${field}.director.${name}`);
    } else if (name === 'resyncInterval' || name === 'drainTimeout') {
      if (typeof v !== 'number') throw new IpvsValidationError(`${field}.director.${name}`, v, 'milliseconds (a number)');
      directorSetting(name, v, `${field}.director.${name}`);
    } else if (name === 'metrics') {
      if (v !== false) {
        const m = plainObject(v, `${field}.director.metrics`);
        if (typeof own(m, 'host') !== 'string' || typeof own(m, 'port') !== 'number')
          throw new IpvsValidationError(`${field}.director.metrics`, v, '{ host, port } or false');
      }
    } else directorSetting(name, v, `${field}.director.${name}`);
  }
  return c as unknown as ConfigFile;
}

export class Director extends EventEmitter<DirectorEvents> {
  private config: ConfigFile;
  private readonly ipvs: DirectorOptions['ipvs'];
  private readonly store: NonNullable<ApplyOptions['ownership']>;
  private readonly monitor: DirectorMonitor;
  private readonly metricsOption: boolean | MetricsListen | undefined;
  private readonly logSink: ((record: LogRecord) => void) | undefined;
  private readonly clock: DirectorClock;
  private readonly serial = new Serial<ApplyReason, ApplyResult>((reasons, signal) => this.applyNow(reasons, signal));
  /** Reasons of the events of this synchronous run, applied together once it ends (see request). */
  private burst: Set<ApplyReason> | null = null;
  private state: State = 'new';
  private timer: unknown = null;
  private metrics: { metrics: IpvsMetrics; endpoint: MetricsEndpoint; listen: MetricsListen } | null = null;
  private readonly onTransition = (t: HealthTransition) => this.transition(t);
  private readonly onQuorum = (q: QuorumTransition) => this.quorum(q);
  /** A dynamic weight changed; during our own update() calls the apply that follows is ours already. */
  private readonly onChange = () => {
    if (!this.updating && this.state === 'running') this.request('health');
  };
  private updating = false;
  /** The config's vrrp: section, running from start() (nothing runs without instances). */
  private readonly failover: Failover;

  constructor(options: DirectorOptions) {
    super();
    const o = plainObject(options, 'options');
    onlyKeys(o, ['ipvs', 'config', 'ownership', 'monitor', 'metrics', 'log', 'clock', 'failover'], 'options');
    const ipvs = own(o, 'ipvs') as DirectorOptions['ipvs'] | undefined;
    if (typeof ipvs !== 'object' || ipvs === null || typeof ipvs.apply !== 'function')
      throw new IpvsValidationError('options.ipvs', ipvs, 'an Ipvs client (Ipvs.open())');
    this.ipvs = ipvs;
    this.config = checkConfig(own(o, 'config'), 'options.config');
    const ownership = own(o, 'ownership') as DirectorOptions['ownership'];
    const state = this.config.director.state;
    // A store or file given here wins; else the config's state file; else this process's memory.
    this.store = ownership !== undefined ? storeOf(ownership) : state ? { file: state } : memoryStore();
    const monitor = own(o, 'monitor') as DirectorMonitor | undefined;
    this.monitor = monitor ?? defaultMonitor();
    for (const method of ['update', 'start', 'stop', 'healthy', 'on', 'off'] as const)
      if (typeof this.monitor[method] !== 'function') throw new IpvsValidationError(`options.monitor.${method}`, this.monitor[method], 'a function (a HealthMonitor)');
    const metrics = own(o, 'metrics');
    if (metrics !== undefined && typeof metrics !== 'boolean') {
      const m = plainObject(metrics, 'options.metrics');
      if (typeof own(m, 'host') !== 'string' || typeof own(m, 'port') !== 'number')
        throw new IpvsValidationError('options.metrics', metrics, 'true, false or { host, port }');
    }
    this.metricsOption = metrics as boolean | MetricsListen | undefined;
    const log = own(o, 'log');
    if (log !== undefined && typeof log !== 'function') throw new IpvsValidationError('options.log', log, 'a function taking a log record');
    this.logSink = log as ((record: LogRecord) => void) | undefined;
    this.clock = (own(o, 'clock') as DirectorClock | undefined) ?? SYSTEM_CLOCK;
    const parts = own(o, 'failover');
    if (parts !== undefined) plainObject(parts, 'options.failover');
    // The sockets and VIPs are where the client's table is.
    const netns = typeof ipvs.netns === 'string' ? ipvs.netns : null;
    this.failover = new Failover({ settings: this.config.vrrp, sync: ipvs, netns, parts: parts as FailoverParts | undefined, log: (r) => this.log(r) });
    this.failover.on('transition', (t) => this.emit('vrrp', t));
  }

  /** The VRRP instances' states and counters and the sync daemons run (empty without config.vrrp). */
  failoverStatus(): FailoverStatus {
    return this.failover.status();
  }

  /** The config in force. */
  get current(): ConfigFile {
    return this.config;
  }

  /** Where metrics are served, once started (null when not served). */
  get metricsAddress(): { host: string; port: number } | null {
    return this.metrics?.endpoint.address ?? null;
  }

  /**
   * The first apply (the kernel made to hold the config, health as known before any check: servers
   * with alpha start down), then health checks, the resync timer and the metrics server. Rejects
   * (and stops what it started) when the first apply throws: nothing runs half-started.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`Director.start(): already ${this.state}`);
    this.state = 'starting';
    this.monitor.update(this.config.health);
    this.monitor.on('transition', this.onTransition);
    this.monitor.on('quorum', this.onQuorum);
    this.monitor.on('change', this.onChange);
    try {
      await this.serial.request('start');
      await this.syncMetrics();
    } catch (err) {
      return this.abortStart(err, false);
    }
    if (this.state !== 'starting') return; // stop() was called meanwhile: it has detached everything
    this.monitor.start();
    // VRRP last: a director becomes master only once it holds the table it will serve.
    try {
      for (const q of this.monitor.quorums()) this.failover.setServiceQuorum(q.service, q.up);
      await this.failover.start();
    } catch (err) {
      return this.abortStart(err, true);
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.schedule();
    this.log({ level: 'info', event: 'start', message: `started: ${this.summary()}` });
  }

  /** A start that failed part-way: what it started is stopped (the checks only once they ran), then the error is thrown. */
  private async abortStart(err: unknown, checking: boolean): Promise<never> {
    this.state = 'stopping';
    this.detach();
    if (checking) await this.monitor.stop();
    await this.closeMetrics();
    this.state = 'stopped';
    throw err;
  }

  /**
   * A new config (validated already: parseConfig/readConfig). The monitor keeps the state of
   * servers whose check did not change; then one apply sends only what differs. A config the
   * monitor refuses throws before anything changed: the running one stays in force. Once taken,
   * the new config is in force (`current`) even if its apply fails: that rejects, and the next
   * resync applies it again.
   */
  async reload(config: ConfigFile): Promise<ApplyResult> {
    if (this.state !== 'running') throw new Error(`Director.reload(): not running (${this.state})`);
    const next = checkConfig(config, 'config');
    this.updating = true;
    try {
      this.monitor.update(next.health);
    } finally {
      this.updating = false;
    }
    const before = this.config.director;
    this.config = next;
    if (next.director.state !== before.state)
      this.log({ level: 'warn', event: 'reload', message: `director.state changed: takes effect at the next start (the record in use stays ${before.state ?? 'in memory'})` });
    this.schedule();
    await this.syncMetrics().catch((err) => this.fail('metrics', err));
    const result = await this.serial.request('reload', onlyResync);
    await this.failover.update(next.vrrp);
    this.log({ level: 'info', event: 'reload', message: `reloaded: ${this.summary()}` });
    return result;
  }

  /** Re-reads the kernel and repairs drift now (the timer does this every resyncInterval). */
  resync(): Promise<ApplyResult> {
    if (this.state !== 'running') return Promise.reject(new Error(`Director.resync(): not running (${this.state})`));
    return this.serial.request('resync');
  }

  /**
   * Stops checks, timer and metrics, waits for an apply under way; then keeps the table as it is
   * or (remove, default the config's onStop) removes every service the agent owns, at once.
   * Idempotent.
   */
  async stop(options: { remove?: boolean } = {}): Promise<void> {
    const o = plainObject(options, 'options');
    onlyKeys(o, ['remove'], 'options');
    const given = own(o, 'remove');
    if (given !== undefined && typeof given !== 'boolean') throw new IpvsValidationError('options.remove', given, 'true or false');
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    this.detach();
    // The VIPs first, while the table still serves: a backup takes over after Skew_Time.
    await this.failover.stop();
    await this.monitor.stop();
    await this.serial.idle();
    await this.closeMetrics();
    const remove = given ?? this.config.director.onStop === 'remove';
    try {
      if (remove) {
        const result = await this.ipvs.apply({ services: [] }, { prune: true, drain: false, ownership: this.store });
        const record = applyRecord(this.clock.now(), ['stop'], result);
        if (record) this.log(record);
      }
    } finally {
      this.state = 'stopped';
      this.log({ level: 'info', event: 'stop', message: remove ? 'stopped: removed the services it owned' : 'stopped: the table is left as it is' });
    }
  }

  private async applyNow(reasons: ApplyReason[], signal: AbortSignal): Promise<ApplyResult> {
    const { table, removed } = this.monitor.healthy(this.config.table);
    // Dead servers go at once (no traffic to a server known dead); a server that left the config drains.
    const dead = new Set(removed.map((r) => idOf(r.service, r.destination)));
    const options: ApplyOptions = {
      prune: true, ownership: this.store, drainTimeout: this.config.director.drainTimeout,
      drain: (service, destination) => !dead.has(idOf(service, destination)),
      // A health change is urgent (with a resync it pre-empted too): one reading, without the re-reads
      // that complete a torn one. Removals only ever target objects seen, and an add that meets one the
      // reading missed is resolved (lib/apply/resolve.ts). Start, reload and resync alone read
      // consistently, so their logs are exact.
      consistent: !reasons.includes('health'),
      signal,
    };
    let result: ApplyResult;
    try {
      result = await this.ipvs.apply(table, options);
    } catch (err) {
      // Pre-empted: the next apply takes its reasons over; what it sent before stopping is logged here.
      if (signal.aborted && err instanceof IpvsPartialError) {
        if (err.applied + err.unknown > 0)
          this.log({ level: 'info', event: 'apply', message: `apply (${reasons.join(', ')}) stopped for a health change or reload: ${err.applied} of ${err.results.length} operations applied, the next apply sends the rest`, reasons });
        throw err;
      }
      this.fail('apply', err, reasons);
      throw err;
    }
    const record = applyRecord(this.clock.now(), reasons, result);
    if (record) this.log(record);
    this.emit('apply', { reasons, result });
    return result;
  }

  private transition(t: HealthTransition): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    this.log(transitionRecord(t));
    this.emit('transition', t);
    this.hook(t.to === 'up' ? 'up' : 'down', [hostPort(t.destination.address, t.destination.port), serviceLabel(t.service), t.to]);
    this.request('health');
  }

  private quorum(q: QuorumTransition): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    const sid = serviceId(serviceKey(q.service));
    const spec = this.config.health.services.find((s) => serviceId(serviceKey(s.service)) === sid);
    this.log(quorumRecord(q, spec?.quorum?.sorryServer));
    this.emit('quorum', q);
    this.failover.setServiceQuorum(q.service, q.up);
    this.hook(q.up ? 'quorumUp' : 'quorumDown', [serviceLabel(q.service), q.up ? 'up' : 'down']);
    this.request('health');
  }

  /**
   * An apply whose failure is logged (by applyNow) and retried by the next resync, not thrown at
   * anyone. One check's events come in one synchronous run (the last server's transition, then the
   * quorum it loses): the apply starts after them, from the state they leave. Applied one by one,
   * the lab saw the last server removed before the sorry server came in, and requests refused between.
   */
  private request(reason: ApplyReason): void {
    if (this.burst) {
      this.burst.add(reason);
      return;
    }
    this.burst = new Set([reason]);
    queueMicrotask(() => {
      const reasons = [...this.burst!];
      this.burst = null;
      // stop() may have begun meanwhile: it awaits the applies under way, and no new one may start after it.
      if (this.state === 'running' || this.state === 'starting') this.serial.request(reasons, onlyResync).catch(() => {});
    });
  }

  private hook(name: 'up' | 'down' | 'quorumUp' | 'quorumDown', args: string[]): void {
    const command = this.config.director.notify[name];
    if (!command) return;
    void runHook(command, args).then((outcome) => {
      if (!outcome.ok) this.log({ level: 'warn', event: 'notify', message: `notify ${name} ${[...command, ...args].join(' ')}: ${outcome.reason}`, hook: name, reason: outcome.reason });
    });
  }

  /**
   * The resync timer, restarted with the interval in force (a reload may change it). Resyncs start
   * an interval apart, start to start, so drift is repaired within an interval and one apply; one that
   * took most of the interval is followed after a quarter of it, never back to back.
   */
  private schedule(delay = this.config.director.resyncInterval): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.state !== 'running') return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.state !== 'running') return;
      const started = this.clock.now();
      this.serial.request('resync').catch(() => {}).finally(() => {
        const interval = this.config.director.resyncInterval;
        if (this.timer === null) this.schedule(Math.max(interval / 4, interval - (this.clock.now() - started)));
      });
    }, delay);
  }

  private detach(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.monitor.off('transition', this.onTransition);
    this.monitor.off('quorum', this.onQuorum);
    this.monitor.off('change', this.onChange);
  }

  /** Where metrics should be served now: the option, else the config's. */
  private metricsListen(): MetricsListen | null {
    const option = this.metricsOption;
    if (option === false) return null;
    if (option !== undefined && option !== true) return option;
    return this.config.director.metrics || (option === true ? { host: '127.0.0.1', port: 9475 } : null);
  }

  /** Starts, moves or stops the metrics server to match the settings. */
  private async syncMetrics(): Promise<void> {
    const listen = this.metricsListen();
    if (this.metrics && listen && this.metrics.listen.host === listen.host && this.metrics.listen.port === listen.port) return;
    await this.closeMetrics();
    if (!listen) return;
    const metrics = createMetrics({ ipvs: this.ipvs, health: this.monitor as never, vrrp: this.failover });
    try {
      const endpoint = await metrics.serve(listen);
      this.metrics = { metrics, endpoint, listen };
      this.log({ level: 'info', event: 'metrics', message: `metrics on http://${hostPort(endpoint.address.host, endpoint.address.port)}/metrics` });
    } catch (err) {
      metrics.close();
      throw err;
    }
  }

  private async closeMetrics(): Promise<void> {
    const m = this.metrics;
    this.metrics = null;
    if (!m) return;
    m.metrics.close();
    await m.endpoint.close();
  }

  private summary(): string {
    const services = this.config.table.services.length;
    const destinations = this.config.table.services.reduce((n, s) => n + (s.destinations?.length ?? 0), 0);
    const checked = this.config.health.services.reduce((n, s) => n + s.destinations.filter((d) => d.check.type !== 'none').length, 0);
    const vrrp = this.config.vrrp.instances.map((i) => `${i.name} (VRID ${i.vrid} on ${i.interface}, priority ${i.priority})`);
    return `${services} services, ${destinations} real servers, ${checked} checked, resync every ${this.config.director.resyncInterval} ms, on stop ${this.config.director.onStop}` +
      (vrrp.length ? `, VRRP ${vrrp.join(', ')}${this.config.vrrp.sync ? `, sync daemons on ${this.config.vrrp.sync.interface}` : ''}` : '');
  }

  private fail(what: string, err: unknown, reasons?: ApplyReason[]): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.log({ level: 'error', event: what === 'metrics' ? 'metrics' : 'apply', message: `${what}${reasons ? ` (${reasons.join(', ')})` : ''} failed: ${error.message}`, error: error.message, ...(reasons ? { reasons } : {}) });
    if (this.listenerCount('failure')) this.emit('failure', error);
  }

  private log(record: Omit<LogRecord, 'time'> & { time?: number }): void {
    const full = { ...record, time: record.time ?? this.clock.now() } as LogRecord;
    try {
      this.logSink?.(full);
    } catch {
      // A log sink that throws must not take the agent down with it.
    }
    if (this.listenerCount('log')) this.emit('log', full);
  }
}

/** options.ownership: { file } or a store; checked by apply itself on each call. */
function storeOf(value: unknown): NonNullable<ApplyOptions['ownership']> {
  const obj = plainObject(value, 'options.ownership');
  if (typeof own(obj, 'file') === 'string') return { file: obj.file as string };
  if (typeof own(obj, 'load') === 'function' && typeof own(obj, 'save') === 'function') return obj as unknown as OwnershipStore;
  throw new IpvsValidationError('options.ownership', value, '{ file } or a store with load() and save()');
}
