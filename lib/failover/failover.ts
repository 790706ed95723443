/**
 * The config's `vrrp:` section running: one FailoverInstance per instance and the kernel's sync
 * daemons following the state of `vrrp.sync.instance` (lib/sync/daemons.ts). The director agent
 * composes one; a Node service may run one on its own. docs/failover.md.
 */
import { EventEmitter } from 'node:events';
import type { VrrpInstanceConfig, VrrpSettings, VrrpSyncConfig } from '../config/vrrp-settings';
import type { LogRecord } from '../director/types';
import { setIpvsSysctls } from '../host/director';
import { serviceId } from '../keys';
import { SyncDaemons, type SyncChange, type SyncClient } from '../sync/daemons';
import type { ServiceKey } from '../types';
import { serviceKey } from '../validate/service';
import type { VrrpPriorityChange, VrrpTransition } from '../vrrp/events';
import type { VrrpStatus } from '../vrrp/machine';
import type { VrrpCounters } from '../vrrp/counters';
import type { VrrpState } from '../vrrp/types';
import { FailoverInstance, type FailoverParts } from './instance';

/** Every sync daemon call ends by this. */
export const SYNC_TIMEOUT_MS = 5000;

export interface FailoverOptions {
  /** ConfigFile.vrrp (read by readConfig/parseConfig). */
  settings: VrrpSettings;
  /** The client that runs the sync daemons (an Ipvs); needed when settings.sync is set. */
  sync?: SyncClient;
  /** Where the sockets and VIPs are: a name under /run/netns or a path; default this process's namespace. */
  netns?: string | null;
  parts?: FailoverParts;
  log?: (record: LogRecord) => void;
}

export interface FailoverSyncEvent {
  instance: string;
  state: VrrpState;
  changes: SyncChange[];
}

export interface FailoverEvents {
  transition: [VrrpTransition];
  priority: [VrrpPriorityChange];
  /** The sync daemons followed a transition (changes may be empty: the plan runs the same ones). */
  sync: [FailoverSyncEvent];
  log: [LogRecord];
}

export interface FailoverInstanceStatus extends VrrpStatus {
  counters: VrrpCounters;
}

export interface FailoverStatus {
  instances: FailoverInstanceStatus[];
  /** The sync daemons this director runs, null without `vrrp.sync`. */
  sync: { instance: string; running: string[] } | null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Failover extends EventEmitter<FailoverEvents> {
  private settings: VrrpSettings;
  private readonly client: SyncClient | undefined;
  private readonly netns: string | null;
  private readonly parts: FailoverParts;
  private readonly sink: ((record: LogRecord) => void) | undefined;
  private readonly instances = new Map<string, FailoverInstance>();
  private readonly services = new Map<string, boolean>();
  private daemons: { config: VrrpSyncConfig; daemons: SyncDaemons } | null = null;
  /** Sync daemon changes, one after another in transition order. */
  private syncing: Promise<void> = Promise.resolve();
  private started = false;

  constructor(options: FailoverOptions) {
    super();
    this.settings = options.settings;
    this.client = options.sync;
    this.netns = options.netns ?? null;
    this.parts = options.parts ?? {};
    this.sink = options.log;
  }

  /** Opens every instance's socket, then starts them; nothing runs when one cannot open. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.apply(this.settings);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * A reloaded config's section: an instance whose settings did not change runs on untouched (its
   * state, its VIPs); a changed one is stopped (priority 0, VIPs removed) and started anew; a new
   * one starts, a removed one stops. The sync daemons are restarted only when `sync` changed.
   */
  async update(settings: VrrpSettings): Promise<void> {
    if (!this.started) {
      this.settings = settings;
      return;
    }
    await this.apply(settings);
  }

  /** A tracked service's health quorum (the director's health monitor reports each change). */
  setServiceQuorum(service: ServiceKey, up: boolean): void {
    const id = serviceId(serviceKey(service));
    this.services.set(id, up);
    for (const i of this.instances.values()) i.setService(id, up);
  }

  /**
   * Stops every instance (a master sends priority 0, so a backup takes over after Skew_Time, and
   * removes its VIPs), then the sync daemons it runs. Idempotent.
   */
  async stop(): Promise<void> {
    this.started = false;
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => this.stopInstance(i)));
    await this.syncing;
    await this.stopDaemons();
  }

  status(): FailoverStatus {
    return {
      instances: [...this.instances.values()].map((i) => ({ ...i.machine.status(), counters: structuredClone(i.machine.counters) })),
      sync: this.daemons ? { instance: this.daemons.config.instance, running: this.daemons.daemons.running } : null,
    };
  }

  /** The state of an instance, or null when it does not run. */
  state(name: string): VrrpState | null {
    return this.instances.get(name)?.machine.state ?? null;
  }

  private async apply(next: VrrpSettings): Promise<void> {
    const wanted = new Map(next.instances.map((c) => [c.name, c]));
    const stopping = [...this.instances.values()].filter((i) => !same(i.config, wanted.get(i.name)));
    for (const i of stopping) this.instances.delete(i.name);
    await Promise.all(stopping.map((i) => this.stopInstance(i)));
    const syncChanged = !same(this.daemons?.config ?? null, next.sync);
    if (syncChanged) {
      await this.syncing;
      await this.stopDaemons();
    }
    this.settings = next;
    if (syncChanged && next.sync) {
      if (!this.client) throw new Error('Failover: vrrp.sync is set but no client was given to run the sync daemons (options.sync)');
      const { instance: _driver, settings, ...daemon } = next.sync;
      // Before the daemons start: sync_ports and sync_version are read when a daemon starts.
      if (Object.keys(settings).length) {
        await setIpvsSysctls(settings, this.netns ? { netns: this.netns } : {});
        this.log({ level: 'info', event: 'sync', message: `IPVS settings for the sync daemons: ${Object.entries(settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` });
      }
      this.daemons = { config: next.sync, daemons: new SyncDaemons(this.client, daemon) };
    }
    const opening = next.instances.filter((c) => !this.instances.has(c.name));
    const opened: FailoverInstance[] = [];
    try {
      for (const c of opening) opened.push(await this.open(c));
    } catch (err) {
      await Promise.all(opened.map((i) => i.stop()));
      throw err;
    }
    for (const i of opened) this.instances.set(i.name, i);
    for (const i of opened) await i.start();
    // The daemons follow their instance now when it ran on untouched (a new instance's start() did it).
    const driver = this.daemons && this.instances.get(this.daemons.config.instance);
    if (syncChanged && driver && !opened.includes(driver)) this.follow(driver.name, driver.machine.state);
  }

  private async open(config: VrrpInstanceConfig): Promise<FailoverInstance> {
    const instance = await FailoverInstance.open(config, {
      netns: this.netns, parts: this.parts, services: this.services,
      onHookFailure: (hook, line, reason) => this.log({ level: 'warn', event: 'notify', message: `${hook} ${line}: ${reason}`, hook, reason }),
    });
    const m = instance.machine;
    m.on('transition', (t) => {
      const level = t.to === 'fault' ? 'warn' : 'info';
      this.log({
        level, event: 'vrrp', message: `${t.instance}: ${t.from} -> ${t.to} (${t.reason}${t.detail ? `: ${t.detail}` : ''}), priority ${t.priority}`,
        instance: t.instance, from: t.from, to: t.to, reason: t.reason, priority: t.priority,
      });
      this.emit('transition', t);
      if (this.daemons?.config.instance === t.instance) this.follow(t.instance, t.to);
    });
    m.on('priority', (p) => {
      this.log({ level: 'info', event: 'vrrp', message: `${p.instance}: priority ${p.from} -> ${p.to} (${p.input})`, instance: p.instance });
      this.emit('priority', p);
    });
    m.on('effect-error', (e) => this.log({
      level: 'error', event: 'vrrp', message: `${e.instance}: ${e.effect} failed: ${e.error instanceof Error ? e.error.message : String(e.error)}`, instance: e.instance,
    }));
    // A link that is down fails every advert: said once per outage (an advert sent since the last one said ends it).
    let sentAtFailure = -1;
    m.on('send-error', (e) => {
      if (m.counters.advertsSent === sentAtFailure) return;
      sentAtFailure = m.counters.advertsSent;
      this.log({ level: 'warn', event: 'vrrp', message: `${e.instance}: sending an advert failed: ${e.error instanceof Error ? e.error.message : String(e.error)}`, instance: e.instance });
    });
    m.on('address-mismatch', (a) => this.log({
      level: 'warn', event: 'vrrp', message: `${a.instance}: ${a.source} advertises VRID ${config.vrid} with other addresses (missing ${a.missing.join(', ') || 'none'}, extra ${a.extra.join(', ') || 'none'})`,
      instance: a.instance,
    }));
    return instance;
  }

  private follow(instance: string, state: VrrpState): void {
    const target = this.daemons;
    if (!target) return;
    this.syncing = this.syncing.then(async () => {
      if (this.daemons !== target) return;
      try {
        const changes = await target.daemons.follow(state, { timeout: SYNC_TIMEOUT_MS });
        if (changes.length)
          this.log({ level: 'info', event: 'sync', message: `sync daemons for ${instance} ${state}: ${changes.map((c) => `${c.state} ${c.action}`).join(', ')}`, instance });
        this.emit('sync', { instance, state, changes });
      } catch (err) {
        this.log({
          level: 'error', event: 'sync', message: `sync daemons for ${instance} ${state} failed: ${err instanceof Error ? err.message : String(err)} (running: ${target.daemons.running.join(', ') || 'none'})`,
          instance,
        });
      }
    });
  }

  private async stopInstance(i: FailoverInstance): Promise<void> {
    try {
      await i.stop();
    } catch (err) {
      this.log({ level: 'error', event: 'vrrp', message: `${i.name}: stop failed: ${err instanceof Error ? err.message : String(err)}`, instance: i.name });
    }
  }

  private async stopDaemons(): Promise<void> {
    const d = this.daemons;
    this.daemons = null;
    if (!d) return;
    try {
      const changes = await d.daemons.stop({ timeout: SYNC_TIMEOUT_MS });
      if (changes.length) this.log({ level: 'info', event: 'sync', message: `sync daemons stopped: ${changes.map((c) => c.state).join(', ')}` });
    } catch (err) {
      this.log({ level: 'error', event: 'sync', message: `stopping the sync daemons failed: ${err instanceof Error ? err.message : String(err)} (running: ${d.daemons.running.join(', ') || 'none'})` });
    }
  }

  private log(record: Omit<LogRecord, 'time'>): void {
    const full = { ...record, time: Date.now() } as LogRecord;
    try {
      this.sink?.(full);
    } catch {
      // A sink that throws must not stop a failover.
    }
    if (this.listenerCount('log')) this.emit('log', full);
  }
}
