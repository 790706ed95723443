/**
 * One VRRPv3 virtual router (RFC 5798 §6): Initialize, Backup and Master, plus Fault for tracked
 * inputs (keepalived's). Pure state: packets come and go through a VrrpTransport, time through a
 * VrrpClock, and what being master means on this host (adding the addresses, announcing them)
 * through VrrpEffects, so that the RFC's timers can be checked to the microsecond on a fake clock.
 * docs/failover.md describes the states, timers and settings.
 */
import { EventEmitter } from 'node:events';
import { IpvsValidationError } from '../errors';
import { compareAddresses } from './address-order';
import { systemClock, type VrrpClock } from './clock';
import { newCounters, type VrrpCounters, type VrrpMachineDropReason } from './counters';
import type { VrrpEffectName, VrrpMachineEvents, VrrpTransitionReason } from './events';
import { GarpSchedule } from './garp';
import { checkMachineOptions, OWNER_PRIORITY, type CheckedMachineOptions, type VrrpMachineOptions } from './options';
import { TrackSet } from './priority';
import { masterDownIntervalMs, skewTimeMs } from './timers';
import type { Advert, VrrpDropReason, VrrpState, VrrpTransport } from './types';

/** What the router asks of its host; each call's failure is reported, never thrown at the caller. */
export interface VrrpEffects {
  /** Add the virtual addresses (and, with accept false, refuse traffic to them: RFC 5798 Accept_Mode). */
  becomeMaster(router: VrrpRouterInfo): Promise<void>;
  /** Remove them. Also called after a becomeMaster() that failed, to undo what it did add. */
  leaveMaster(router: VrrpRouterInfo): Promise<void>;
  /** One gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6) per virtual address. */
  announce(router: VrrpRouterInfo): Promise<void>;
}

export interface VrrpRouterInfo {
  name: string;
  vrid: number;
  family: CheckedMachineOptions['family'];
  addresses: readonly string[];
  accept: boolean;
}

export interface VrrpStatus {
  name: string;
  state: VrrpState;
  priority: number;
  /** Learned from the master's adverts in backup; our own interval otherwise. ms. */
  masterAdverInterval: number;
  masterDownInterval: number;
  skewTime: number;
  /** clock time until which a returning router does not preempt (preemptDelay). */
  preemptHoldUntil: number;
  tracks: { name: string; weight: number; up: boolean }[];
}

export class VrrpMachine extends EventEmitter<VrrpMachineEvents> {
  readonly options: CheckedMachineOptions;
  readonly counters: VrrpCounters = newCounters();
  private current: VrrpState = 'initialize';
  private running = false;
  private readonly tracks: TrackSet;
  private readonly garp: GarpSchedule;
  private readonly info: VrrpRouterInfo;
  /** Master_Adver_Interval in centiseconds. */
  private masterAdverCs: number;
  private downTimer: unknown = null;
  private adverTimer: unknown = null;
  private retryTimer: unknown = null;
  private holdUntil = -Infinity;
  /** When a backup last heard a master of lower priority (the one it is about to preempt). */
  private lowerMasterAt = -Infinity;
  /** The last Master_Down_Timer was set from a priority-0 advert. */
  private masterLeft = false;
  /** becomeMaster() failed: in fault until retryTimer fires. */
  private effectFault = false;
  /** Bumped on each entry to master: a becomeMaster() that resolves late knows whether its term is still on. */
  private masterTerm = 0;
  /** Effects run one after another, in transition order. */
  private effects: Promise<void> = Promise.resolve();
  private lastMismatch = '';

  constructor(options: VrrpMachineOptions, private readonly transport: VrrpTransport, private readonly host: VrrpEffects, private readonly clock: VrrpClock = systemClock) {
    super();
    this.options = checkMachineOptions(options);
    requireMethods(transport, 'transport', ['send', 'onAdvert', 'onDrop', ...(transport?.drain === undefined ? [] : ['drain'])]);
    requireMethods(host, 'effects', ['becomeMaster', 'leaveMaster', 'announce']);
    requireMethods(clock, 'clock', ['now', 'setTimeout', 'clearTimeout']);
    const o = this.options;
    this.tracks = new TrackSet(o.priority, o.track);
    this.masterAdverCs = o.interval / 10;
    // Frozen: the effects get it on every call and must not change what the machine advertises.
    this.info = Object.freeze({ name: o.name, vrid: o.vrid, family: o.family, addresses: Object.freeze([...o.addresses]), accept: o.accept });
    this.garp = new GarpSchedule(clock, o.garp, () => this.runEffect('announce').then(() => undefined));
    transport.onAdvert((advert) => this.receive(advert));
    transport.onDrop((reason) => this.drop(reason));
  }

  get state(): VrrpState {
    return this.current;
  }

  /** The priority advertised now: the configured one moved by tracked inputs. */
  get priority(): number {
    return this.tracks.effective();
  }

  status(): VrrpStatus {
    const p = this.priority;
    return {
      name: this.options.name, state: this.current, priority: p, masterAdverInterval: this.masterAdverCs * 10,
      masterDownInterval: masterDownIntervalMs(p, this.masterAdverCs), skewTime: skewTimeMs(p, this.masterAdverCs),
      preemptHoldUntil: this.holdUntil, tracks: this.tracks.states(),
    };
  }

  /** RFC 5798 §6.4.1 Startup. A started router ignores a second start(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.initialize('startup');
  }

  /**
   * Shutdown: a master sends priority 0 (backups take over after Skew_Time) and removes its
   * addresses. Resolves when every effect queued so far has run.
   */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.clearTimers();
      this.effectFault = false;
      if (this.current === 'master') this.leaveMasterRole(true);
      this.transition('initialize', 'shutdown');
    }
    await this.effects;
  }

  /** A tracked input's state (an interface, a service's quorum, a hook); unknown names are ignored. */
  setTracked(name: string, up: boolean): void {
    if (typeof name !== 'string') throw new IpvsValidationError('name', name, "a tracked input's name");
    if (typeof up !== 'boolean') throw new IpvsValidationError('up', up, 'true or false');
    if (!this.tracks.has(name)) return;
    const before = this.tracks.effective();
    if (!this.tracks.set(name, up)) return;
    const after = this.tracks.effective();
    if (after !== before) this.emit('priority', { instance: this.options.name, from: before, to: after, input: name, time: this.clock.now() });
    if (!this.running) return;
    const faults = this.tracks.faults();
    if (faults.length && this.current !== 'fault') this.enterFault('track', faults.join(', '));
    else if (!faults.length) this.recover();
  }

  /** Startup (and return from fault): the owner is master at once, any other router waits as backup. */
  private initialize(reason: VrrpTransitionReason): void {
    const faults = this.tracks.faults();
    if (faults.length) {
      this.transition('fault', 'track', faults.join(', '));
      return;
    }
    if (this.priority === OWNER_PRIORITY) {
      this.enterMaster('owner');
      return;
    }
    this.masterAdverCs = this.options.interval / 10;
    this.holdUntil = this.clock.now() + this.options.preemptDelay;
    this.setDownTimer(masterDownIntervalMs(this.priority, this.masterAdverCs), false);
    this.transition('backup', reason);
  }

  private receive(advert: Advert): void {
    if (!this.running) return;
    if (advert.vrid !== this.options.vrid) {
      this.counters.otherVrid++;
      return;
    }
    if (advert.family !== this.options.family) return this.drop('family');
    if (advert.source === this.options.primaryAddress) return this.drop('own-address');
    if (!(advert.intervalCs >= 1)) return this.drop('interval');
    this.counters.advertsReceived++;
    if (advert.priority === 0) this.counters.priorityZeroReceived++;
    this.checkAddresses(advert);
    if (this.current === 'backup') this.backupReceive(advert);
    else if (this.current === 'master') this.masterReceive(advert);
    // Initialize and fault: adverts are counted, nothing more.
  }

  /** RFC 5798 §6.4.2, with keepalived's preempt_delay: a returning router accepts a lower master until its hold ends. */
  private backupReceive(advert: Advert): void {
    const mine = this.priority;
    if (advert.priority === 0) {
      this.setDownTimer(skewTimeMs(mine, this.masterAdverCs), true);
      return;
    }
    const holding = this.clock.now() < this.holdUntil;
    if (advert.priority < mine) this.lowerMasterAt = this.clock.now();
    if (!this.options.preempt || advert.priority >= mine || holding) {
      this.masterAdverCs = advert.intervalCs;
      this.setDownTimer(masterDownIntervalMs(mine, this.masterAdverCs), false);
    }
    // Otherwise (preempt, lower priority): discarded; Master_Down_Timer runs out and this router takes over.
  }

  /** RFC 5798 §6.4.3. */
  private masterReceive(advert: Advert): void {
    const mine = this.priority;
    if (advert.priority === 0) {
      this.sendAdvert(mine);
      this.setAdverTimer();
      return;
    }
    if (advert.priority > mine || (advert.priority === mine && compareAddresses(advert.source, this.options.primaryAddress) > 0)) {
      this.leaveMasterRole(false);
      this.masterAdverCs = advert.intervalCs;
      this.setDownTimer(masterDownIntervalMs(mine, this.masterAdverCs), false);
      this.transition('backup', 'higher-priority', `${advert.source} priority ${advert.priority}`);
      return;
    }
    // A lower router that believes itself master: answer at once (keepalived's default, not
    // lower_prio_no_advert) so that it steps down now rather than at our next advert.
    this.sendAdvert(mine);
    this.setAdverTimer();
  }

  /**
   * Taking over from a live lower master (preemption), the first advert waits until the addresses
   * are in place and the first announcement is out (at most until the advert timer fires): that
   * advert is what makes the old master give the addresses up, and sent first it left the clients
   * pointing at a router without them until the announcement came (tens of ms on a loaded host).
   * With no live master (it died, or left) there is nothing to wait for: the advert goes at once.
   */
  private enterMaster(reason: VrrpTransitionReason): void {
    const preempting = reason === 'master-down' && this.clock.now() - this.lowerMasterAt <= masterDownIntervalMs(this.priority, this.masterAdverCs);
    this.clearTimer('down');
    if (!preempting) this.sendAdvert(this.priority);
    this.setAdverTimer();
    const term = ++this.masterTerm;
    this.counters.becameMaster++;
    this.transition('master', reason);
    this.queue('becomeMaster', () => {
      // A term already over (shutdown, a higher master) is not started: leaveMaster follows in the queue anyway.
      if (term !== this.masterTerm) return;
      // Through a promise: an effect that throws instead of rejecting has failed all the same.
      return Promise.resolve().then(() => this.host.becomeMaster(this.info)).then(
        () => {
          if (term !== this.masterTerm) return;
          const told = this.garp.start();
          if (preempting) void told.then(() => {
            if (term === this.masterTerm && this.adverTimer !== null) this.sendAdvert(this.priority);
          });
        },
        (error: unknown) => {
          this.effectError('becomeMaster', error);
          if (term === this.masterTerm && this.running) this.effectFailed(error);
        },
      );
    });
  }

  /** Stops being master: adverts and announcements end, the addresses go (after any effect still running). */
  private leaveMasterRole(sendZero: boolean): void {
    this.clearTimer('adver');
    this.garp.stop();
    this.masterTerm++;
    if (sendZero) this.sendAdvert(0);
    this.queue('leaveMaster', () => Promise.resolve().then(() => this.host.leaveMaster(this.info)).catch((error: unknown) => this.effectError('leaveMaster', error)));
  }

  private enterFault(reason: VrrpTransitionReason, detail: string): void {
    if (this.current === 'master') this.leaveMasterRole(true);
    this.clearTimer('down');
    this.transition('fault', reason, detail);
  }

  /** A master whose addresses could not be added gives the role up (priority 0) rather than hold VIPs it does not serve. */
  private effectFailed(error: unknown): void {
    this.effectFault = true;
    this.enterFault('effect-failed', error instanceof Error ? error.message : String(error));
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.effectFault = false;
      this.recover();
    }, this.options.effectRetry);
  }

  private recover(): void {
    if (!this.running || this.current !== 'fault' || this.effectFault || this.tracks.faults().length) return;
    this.initialize('recovered');
  }

  private setDownTimer(ms: number, left: boolean): void {
    this.clearTimer('down');
    this.masterLeft = left;
    this.downTimer = this.clock.setTimeout(() => {
      this.downTimer = null;
      // libuv runs overdue timers before it polls: after this process stalled, the master's advert may
      // be waiting unread. Read it first; an advert that arrived sets the timer again.
      this.transport.drain?.();
      if (this.downTimer !== null) return;
      if (this.running && this.current === 'backup') this.enterMaster(this.masterLeft ? 'master-left' : 'master-down');
    }, ms);
  }

  private setAdverTimer(): void {
    this.clearTimer('adver');
    this.adverTimer = this.clock.setTimeout(() => {
      this.adverTimer = null;
      if (!this.running || this.current !== 'master') return;
      this.sendAdvert(this.priority);
      this.setAdverTimer();
    }, this.options.interval);
  }

  private clearTimer(which: 'down' | 'adver'): void {
    const handle = which === 'down' ? this.downTimer : this.adverTimer;
    if (handle !== null) this.clock.clearTimeout(handle);
    if (which === 'down') this.downTimer = null;
    else this.adverTimer = null;
  }

  private clearTimers(): void {
    this.clearTimer('down');
    this.clearTimer('adver');
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private sendAdvert(priority: number): void {
    const o = this.options;
    const advert = { family: o.family, vrid: o.vrid, priority, intervalCs: o.interval / 10, addresses: [...o.addresses] };
    let sending: Promise<void>;
    try {
      sending = this.transport.send(advert);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => {
        this.counters.advertsSent++;
        if (priority === 0) this.counters.priorityZeroSent++;
      },
      (error: unknown) => {
        this.counters.sendErrors++;
        this.emit('send-error', { instance: o.name, priority, error, time: this.clock.now() });
      },
    );
  }

  private queue(effect: VrrpEffectName, run: () => Promise<void> | void): void {
    this.effects = this.effects.then(run).catch((error: unknown) => this.effectError(effect, error));
  }

  /** An effect called now (announce): its failure counted and reported; resolves either way. */
  private runEffect(effect: 'announce'): Promise<boolean> {
    let call: Promise<void>;
    try {
      call = this.host[effect](this.info);
    } catch (error) {
      call = Promise.reject(error);
    }
    return call.then(() => true, (error: unknown) => {
      this.effectError(effect, error);
      return false;
    });
  }

  private effectError(effect: VrrpEffectName, error: unknown): void {
    this.counters.effectErrors++;
    this.emit('effect-error', { instance: this.options.name, effect, error, time: this.clock.now() });
  }

  private drop(reason: VrrpDropReason | VrrpMachineDropReason): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + 1;
  }

  /** keepalived counts an advert whose addresses differ from ours (addr_list_err) and still processes it. */
  private checkAddresses(advert: Advert): void {
    const ours = this.options.addresses;
    const missing = ours.filter((a) => !advert.addresses.includes(a));
    const extra = advert.addresses.filter((a) => !ours.includes(a));
    if (!missing.length && !extra.length) return;
    this.counters.addressListErrors++;
    const key = `${advert.source} ${missing.join(',')} ${extra.join(',')}`;
    if (key === this.lastMismatch) return;
    this.lastMismatch = key;
    this.emit('address-mismatch', { instance: this.options.name, source: advert.source, missing, extra, time: this.clock.now(), advert });
  }

  private transition(to: VrrpState, reason: VrrpTransitionReason, detail?: string): void {
    const from = this.current;
    this.current = to;
    this.counters.transitions++;
    this.emit('transition', {
      instance: this.options.name, from, to, reason, ...(detail !== undefined ? { detail } : {}), time: this.clock.now(), priority: this.priority,
    });
  }
}

function requireMethods(value: unknown, field: string, names: readonly string[]): void {
  for (const name of names) {
    const method = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
    if (typeof method !== 'function') throw new IpvsValidationError(`${field}.${name}`, method, 'a function');
  }
}
