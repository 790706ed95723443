/**
 * The kernel's connection sync daemons on a director of a failover group, driven by its VRRP state.
 *
 * Two ways to run them (`mode`):
 * - `'both'` (the default): every director runs a master and a backup daemon from the start and
 *   never switches them. Whoever forwards traffic sends its connections; every other director
 *   receives them, including the old master once it is back (so failback keeps connections too).
 *   Nothing is stopped on a transition, which matters on 6.1: stopping a master daemon moments after
 *   starting it can hang in the kernel (test/helpers/kernel.ts settleDaemon).
 * - `'follow'`: keepalived's way: the master daemon on the master, the backup daemon on backups
 *   (and in fault), switched on every transition.
 * Or any other plan (`run`, the config file's `vrrp.sync.run`). None run in initialize.
 */
import { planOf, type SyncMode, type VrrpDaemonPlan } from '../config/vrrp-settings';
import { IpvsError, IpvsValidationError } from '../errors';
import type { CallOptions, DaemonInfo, DaemonOptions, DaemonState } from '../types';
import { oneOf, plainObject } from '../validate/primitives';
import { DAEMON_STATE_NAMES, daemonOptions } from '../validate/settings';
import { daemonsFor } from '../vrrp/from-config';
import type { VrrpState } from '../vrrp/types';

const EEXIST = 17;

export { SYNC_PLANS, type SyncMode } from '../config/vrrp-settings';

export interface SyncDaemonSettings {
  /** The interface sync messages go out of and come in on (the directors' shared segment). */
  interface: string;
  /** Sync id 0-255 shared by the group (default 0): a daemon ignores other ids. */
  syncId?: number;
  mode?: SyncMode;
  /** Which daemons run in each state, instead of a mode's plan (the config file's `vrrp.sync.run`). */
  run?: VrrpDaemonPlan;
  /** Multicast group (default 224.0.0.81), UDP port (8848), TTL (1), largest message payload. */
  group?: string;
  port?: number;
  ttl?: number;
  maxLength?: number;
}

/** What SyncDaemons needs of the client (an Ipvs does it). */
export interface SyncClient {
  listDaemons(options?: CallOptions): Promise<DaemonInfo[]>;
  startDaemon(daemon: DaemonOptions, options?: CallOptions): Promise<void>;
  stopDaemon(state: DaemonState, options?: CallOptions): Promise<void>;
}

/** One daemon started or stopped; `adopted` when one already ran with the same settings. */
export interface SyncChange {
  state: DaemonState;
  action: 'started' | 'stopped' | 'adopted';
}

/** The VRRP states the daemons follow; none run in initialize (a stopped router, as keepalived's). */
export type FollowedState = VrrpState;

/** The settings checked whole, before any daemon starts: the daemon fields by the client's own validator. */
export function syncDaemonSettings(value: unknown, field = 'sync'): Omit<SyncDaemonSettings, 'mode' | 'run'> & { run: VrrpDaemonPlan } {
  const obj = plainObject(value, field);
  const { mode, run, ...daemon } = obj;
  if (Object.hasOwn(daemon, 'state')) throw new IpvsValidationError(`${field}.state`, daemon.state, 'no state: the VRRP state chooses it');
  const { state: _state, ...checked } = daemonOptions({ ...daemon, state: 'master' }, field);
  if (mode !== undefined && run !== undefined) throw new IpvsValidationError(`${field}.run`, run, 'no run beside a mode (a mode is a plan)');
  if (run !== undefined) return { ...checked, run: daemonPlan(run, `${field}.run`) };
  const m = oneOf(mode ?? 'both', `${field}.mode`, ['both', 'follow'] as const);
  return { ...checked, run: planOf(m) };
}

function daemonPlan(value: unknown, field: string): VrrpDaemonPlan {
  const obj = plainObject(value, field);
  const plan = {} as VrrpDaemonPlan;
  for (const state of ['master', 'backup', 'fault'] as const) {
    const list = Object.hasOwn(obj, state) ? obj[state] : undefined;
    if (!Array.isArray(list)) throw new IpvsValidationError(`${field}.${state}`, list, "an array of 'master' and 'backup'");
    const daemons = list.map((d, i) => oneOf(d, `${field}.${state}[${i}]`, DAEMON_STATE_NAMES));
    if (new Set(daemons).size !== daemons.length) throw new IpvsValidationError(`${field}.${state}`, list, 'each daemon once');
    plan[state] = daemons;
  }
  const extra = Object.keys(obj).find((k) => !['master', 'backup', 'fault'].includes(k));
  if (extra !== undefined) throw new IpvsValidationError(`${field}.${extra}`, obj[extra], 'master, backup or fault');
  return plan;
}

export class SyncDaemons {
  readonly #client: SyncClient;
  readonly #settings: ReturnType<typeof syncDaemonSettings>;
  /** The states whose daemon this object runs (started or adopted). */
  readonly #running = new Set<DaemonState>();

  constructor(client: SyncClient, settings: SyncDaemonSettings) {
    this.#client = client;
    this.#settings = syncDaemonSettings(settings);
  }

  /** The daemons this object started or adopted and has not stopped. */
  get running(): DaemonState[] {
    return [...this.#running].sort();
  }

  /** Which daemons run in each state. */
  get plan(): VrrpDaemonPlan {
    return this.#settings.run;
  }

  /** The daemons that should run in `state`. */
  wanted(state: FollowedState): DaemonState[] {
    return daemonsFor(this.#settings.run, state);
  }

  /**
   * Makes the kernel run the daemons `state` wants: starts the missing ones (adopting one that
   * already runs with these settings, e.g. after the agent restarted), then stops the others this
   * object runs. Returns what it changed, in order. A kernel error stops it part-way: `running`
   * then says exactly which daemons run.
   */
  async follow(state: FollowedState, options?: CallOptions): Promise<SyncChange[]> {
    const wanted = this.wanted(state);
    const changes: SyncChange[] = [];
    const present = new Map((await this.#client.listDaemons(options)).map((d) => [d.state, d]));
    for (const s of wanted) {
      if (this.#running.has(s)) continue;
      const running = present.get(s);
      if (running) {
        if (!this.#same(running)) throw this.#foreign(running);
        this.#running.add(s);
        changes.push({ state: s, action: 'adopted' });
        continue;
      }
      await this.#client.startDaemon(this.#daemon(s), options);
      this.#running.add(s);
      changes.push({ state: s, action: 'started' });
    }
    for (const s of [...this.#running]) {
      if (wanted.includes(s)) continue;
      await this.#client.stopDaemon(s, options);
      this.#running.delete(s);
      changes.push({ state: s, action: 'stopped' });
    }
    return changes;
  }

  /** Stops every daemon this object started or adopted. */
  async stop(options?: CallOptions): Promise<SyncChange[]> {
    const changes: SyncChange[] = [];
    for (const s of [...this.#running]) {
      await this.#client.stopDaemon(s, options);
      this.#running.delete(s);
      changes.push({ state: s, action: 'stopped' });
    }
    return changes;
  }

  #daemon(state: DaemonState): DaemonOptions {
    const { interface: iface, syncId, group, port, ttl, maxLength } = this.#settings;
    const d: DaemonOptions = { state, interface: iface };
    if (syncId !== undefined) d.syncId = syncId;
    if (group !== undefined) d.group = group;
    if (port !== undefined) d.port = port;
    if (ttl !== undefined) d.ttl = ttl;
    if (maxLength !== undefined) d.maxLength = maxLength;
    return d;
  }

  /** A running daemon is ours to adopt when the fields we set match (the kernel fills the rest). */
  #same(d: DaemonInfo): boolean {
    const s = this.#settings;
    return d.interface === s.interface && d.syncId === (s.syncId ?? 0) &&
      (s.group === undefined || d.group === s.group) && (s.port === undefined || d.port === s.port) &&
      (s.ttl === undefined || d.ttl === s.ttl);
  }

  #foreign(d: DaemonInfo): IpvsError {
    const s = this.#settings;
    return new IpvsError(EEXIST, {
      operation: 'startDaemon', object: `${d.state} sync daemon`,
      reason: `one already runs on ${d.interface} with sync id ${d.syncId}, not the one configured (${s.interface}, sync id ${s.syncId ?? 0})`,
    });
  }
}
