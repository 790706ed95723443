/**
 * HealthMonitor: runs each watched server's checks on its own schedule and reports what changes.
 *
 * Scheduling, per server: the first check after a random warm-up delay (so a thousand servers
 * are not checked in the same millisecond), then one every `interval` from start to start; a check
 * that takes longer than the interval delays the next one, never overlaps it. One check is up
 * to 1 + retries attempts, `retryDelay` apart, and counts as failed only when all fail.
 * update() swaps the table in place: a server with the same key and the same settings keeps its
 * state and schedule; a new one starts per alpha; a removed one is stopped, its attempt aborted.
 *
 * A check runs as callbacks on the server's record, not as an async function: thousands of checks a
 * second must not each cost an AbortController, promises and closures. A built-in checker runs as
 * its probe (checkers/attempt.ts); a custom one through the guard, with a signal of its own.
 */
import { EventEmitter } from 'node:events';
import { IpvsValidationError } from '../errors';
import { destinationId, endpointId, serviceId } from '../keys';
import type { DesiredTable } from '../table/types';
import type { DestinationKey, ServiceKey } from '../types';
import { serviceKey } from '../validate/service';
import { errorCode, type Attempt, type Probe } from './checkers/attempt';
import { createProbe } from './checkers';
import { guardedProbe } from './guard';
import { healthyTable, type ServerView, type ServiceView } from './healthy';
import { QuorumState } from './quorum';
import { monitorSettings, type HealthClock, type HealthMonitorOptions } from './options';
import { ServerState } from './server';
import { BUILTIN_CHECK_TYPES, checkHealthTable, type FilledHealthCheckSpec, type FilledQuorumSpec } from './spec';
import type { Checker, CheckOutcome, CheckTarget, HealthCheckSpec, HealthEvents, HealthTable, HealthyTable, ServerHealth } from './types';

export type { HealthClock, HealthMonitorOptions } from './options';

/** Events of the monitor: HealthEvents, and 'change' whenever healthy() may give another table. */
export interface HealthMonitorEvents extends HealthEvents {
  change: [];
}

interface Watched {
  readonly id: string;
  readonly sid: string;
  readonly service: ServiceKey;
  readonly destination: DestinationKey;
  readonly spec: FilledHealthCheckSpec;
  /** The spec as text: equal texts, equal settings (the spec is filled, so key order is fixed). */
  readonly specText: string;
  /** null: type 'none', never checked. */
  readonly probe: Probe | null;
  readonly target: CheckTarget;
  readonly state: ServerState;
  /** The next check's timer, or the retry delay's. */
  timer: unknown;
  /** The attempt running, to cut short. */
  attempt: Attempt | null;
  /** The running check's start (the next one is due an interval later) and its attempts so far. */
  started: number;
  tries: number;
  /** Bumped by every halt: a callback of an older check sees it and does nothing more. */
  generation: number;
  stopped: boolean;
  /** The timer callbacks, made once per server rather than per check. */
  readonly begin: () => void;
  readonly retry: () => void;
}

interface WatchedService {
  readonly service: ServiceKey;
  quorumSpec: FilledQuorumSpec;
  quorum: QuorumState;
  ids: string[];
}

export class HealthMonitor extends EventEmitter<HealthMonitorEvents> {
  readonly #checkers: Readonly<Record<string, (spec: HealthCheckSpec) => Checker>>;
  readonly #clock: HealthClock;
  readonly #random: () => number;
  #servers = new Map<string, Watched>();
  #services = new Map<string, WatchedService>();
  #running = false;

  constructor(options: HealthMonitorOptions = {}) {
    super();
    const settings = monitorSettings(options);
    this.#checkers = settings.checkers;
    this.#clock = settings.clock;
    this.#random = settings.random;
  }

  /**
   * Watch this table from now on. Validated whole first (IpvsValidationError naming the field):
   * a bad table changes nothing.
   */
  update(table: HealthTable): void {
    const filled = checkHealthTable(table, 'health', { customTypes: Object.keys(this.#checkers) });
    const now = this.#clock.now();
    const servers = new Map<string, Watched>();
    const services = new Map<string, WatchedService>();
    const fresh: Watched[] = [];
    const reweigh: (() => void)[] = [];
    for (const [i, svc] of filled.services.entries()) {
      const key = serviceKey(svc.service);
      const sid = serviceId(key);
      const ids: string[] = [];
      for (const [j, d] of svc.destinations.entries()) {
        const dest = { family: key.family, address: d.destination.address, port: d.destination.port };
        const id = destinationId(key, dest);
        ids.push(id);
        const specText = JSON.stringify(d.check);
        const old = this.#servers.get(id);
        if (old && old.specText === specText) {
          reweigh.push(() => old.state.reconfigure(d.weight, d.check.type === 'exec' && d.check.exec?.dynamicWeight === true));
          servers.set(id, old);
          continue;
        }
        const field = `health.services[${i}].destinations[${j}]`;
        const watched: Watched = {
          id, sid, service: svc.service, destination: d.destination, spec: d.check, specText,
          probe: this.#probeFor(d.check, `${field}.check`),
          target: checkTarget(d.destination, d.check, field),
          state: new ServerState(d.check, d.weight, now),
          timer: undefined, attempt: null, started: 0, tries: 0, generation: 0, stopped: false,
          begin: () => this.#begin(watched),
          retry: () => this.#attempt(watched),
        };
        servers.set(id, watched);
        fresh.push(watched);
      }
      const oldSvc = this.#services.get(sid);
      const quorum = oldSvc ? oldSvc.quorum : new QuorumState(svc.quorum, sumWeights(ids, servers));
      if (oldSvc) reweigh.push(() => { quorum.spec = svc.quorum; });
      services.set(sid, { service: svc.service, quorumSpec: svc.quorum, quorum, ids });
    }
    // Everything checked: now swap. Servers that left (or whose settings changed) stop.
    for (const apply of reweigh) apply();
    for (const [id, old] of this.#servers) if (servers.get(id) !== old) this.#halt(old);
    this.#servers = servers;
    this.#services = services;
    for (const w of fresh) if (this.#running) this.#schedule(w, this.#warmup(w));
    for (const svc of services.values()) this.#evaluateQuorum(svc, now);
    this.#emit('change');
  }

  /** Begin checking (each server after its warm-up delay). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const w of this.#servers.values()) {
      w.stopped = false;
      this.#schedule(w, this.#warmup(w));
    }
  }

  /**
   * Stop checking: timers cleared, attempts aborted. Cutting an attempt short settles it at once,
   * so every check has settled when this resolves.
   */
  async stop(): Promise<void> {
    this.#running = false;
    for (const w of this.#servers.values()) this.#halt(w);
  }

  states(): ServerHealth[] {
    return [...this.#servers.values()].map((w) => ({
      service: w.service,
      destination: w.destination,
      state: w.state.state,
      weight: w.state.weight,
      reason: w.state.reason,
      checkedAt: w.state.checkedAt,
      since: w.state.since,
    }));
  }

  quorums(): { service: ServiceKey; up: boolean; weight: number }[] {
    return [...this.#services.values()].map((s) => ({ service: s.service, up: s.quorum.up, weight: s.quorum.weight }));
  }

  /** The table the kernel should hold now: `desired` as health allows it (see healthy.ts). */
  healthy(desired: DesiredTable): HealthyTable {
    const views = new Map<string, ServiceView>();
    for (const [sid, svc] of this.#services) {
      const servers = new Map<string, ServerView>();
      for (const id of svc.ids) {
        const w = this.#servers.get(id) as Watched;
        servers.set(endpointId(w.destination), {
          state: w.state.state,
          inhibitOnFailure: w.spec.inhibitOnFailure,
          dynamicWeight: w.state.upWeight === w.state.configuredWeight ? null : w.state.upWeight,
        });
      }
      views.set(sid, { quorum: svc.quorumSpec, quorumUp: svc.quorum.up, servers });
    }
    return healthyTable(desired, views);
  }

  #probeFor(spec: FilledHealthCheckSpec, field: string): Probe | null {
    if (spec.type === 'none') return null;
    if ((BUILTIN_CHECK_TYPES as readonly string[]).includes(spec.type)) return createProbe(spec);
    const made: Checker = this.#checkers[spec.type](spec);
    if (typeof made !== 'object' || made === null || typeof made.check !== 'function')
      throw new IpvsValidationError(`${field}.type`, spec.type, 'a type whose checker factory returns { check(target, timeoutMs, signal) }');
    return guardedProbe(made, this.#clock);
  }

  #warmup(w: Watched): number {
    return Math.floor(this.#random() * w.spec.warmup);
  }

  #schedule(w: Watched, delay: number): void {
    if (w.probe === null || w.stopped || !this.#running) return;
    w.timer = this.#clock.setTimeout(w.begin, delay);
  }

  #halt(w: Watched): void {
    w.stopped = true;
    w.generation++;
    if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
    w.timer = undefined;
    const attempt = w.attempt;
    w.attempt = null;
    attempt?.cancel();
  }

  /** One check: up to 1 + retries attempts until one is good, then the state, events, and the next check. */
  #begin(w: Watched): void {
    w.timer = undefined;
    w.started = this.#clock.now();
    w.tries = 0;
    this.#attempt(w);
  }

  #attempt(w: Watched): void {
    w.timer = undefined;
    const t0 = this.#clock.now();
    const done = (outcome: CheckOutcome): void => {
      w.attempt = null;
      this.#attempted(w, outcome, t0);
    };
    try {
      w.attempt = (w.probe as Probe).start(w.target, w.spec.timeout, done);
    } catch (err) {
      // A throw here would be in a timer callback, where it ends the process: a failed attempt instead.
      const generation = w.generation;
      queueMicrotask(() => {
        if (w.generation === generation) done({ ok: false, reason: `checker failed: ${errorCode(err)}` });
      });
    }
  }

  #attempted(w: Watched, outcome: CheckOutcome, t0: number): void {
    const generation = w.generation;
    if (this.listenerCount('check') > 0) {
      const at = this.#clock.now();
      this.#emit('check', { service: w.service, destination: w.destination, outcome, latencyMs: at - t0, at });
      // A listener stopped the monitor or removed the server: this check says nothing more.
      if (w.generation !== generation) return;
    }
    if (!outcome.ok && w.tries < w.spec.retries) {
      w.tries++;
      w.timer = this.#clock.setTimeout(w.retry, w.spec.retryDelay);
      return;
    }
    const at = this.#clock.now();
    const weightBefore = w.state.weight;
    const change = w.state.record(outcome, at);
    if (change) {
      this.#emit('transition', {
        service: w.service, destination: w.destination, from: change.from, to: change.to, reason: outcome.reason, at, since: change.since,
      });
    }
    // The sum of weights (hence the quorum) moves only when this server's weight does.
    const svc = w.state.weight === weightBefore ? undefined : this.#services.get(w.sid);
    const quorumChanged = svc ? this.#evaluateQuorum(svc, at) : false;
    if (change || quorumChanged || w.state.weight !== weightBefore) this.#emit('change');
    if (w.generation !== generation) return;
    this.#schedule(w, Math.max(0, w.started + w.spec.interval - this.#clock.now()));
  }

  #evaluateQuorum(svc: WatchedService, at: number): boolean {
    if (!svc.quorum.update(sumWeights(svc.ids, this.#servers))) return false;
    this.#emit('quorum', { service: svc.service, up: svc.quorum.up, weight: svc.quorum.weight, at });
    return true;
  }

  /**
   * A listener that throws must not stop the checking: the schedule goes on, and the error is
   * thrown again from a fresh stack, where Node reports it as for any throwing listener.
   */
  #emit<K extends keyof HealthMonitorEvents>(event: K, ...args: HealthMonitorEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: HealthMonitorEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}

function sumWeights(ids: readonly string[], servers: ReadonlyMap<string, Watched>): number {
  let sum = 0;
  for (const id of ids) sum += (servers.get(id) as Watched).state.weight;
  return sum;
}

/** Where checks go: the real server, or the target given (address, port or both). */
function checkTarget(dest: DestinationKey, spec: FilledHealthCheckSpec, field: string): CheckTarget {
  const address = spec.target?.address ?? dest.address;
  const port = spec.target?.port ?? dest.port;
  if (port === 0 && spec.type !== 'none' && spec.type !== 'exec')
    throw new IpvsValidationError(`${field}.check.target.port`, spec.target?.port, "a port to check (the destination's port is 0)");
  return { address, port, family: address.includes(':') ? 'inet6' : 'inet' };
}

