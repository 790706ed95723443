/**
 * Fakes for the VRRP state machine's unit tests: a clock whose timers run only when a test advances
 * it (in time order, ties in the order they were set), and a multicast bus linking several routers'
 * transports (an advert reaches every other connected router after `latency` ms of fake time).
 */
import type { VrrpClock } from '../../lib/vrrp/clock';
import { VrrpMachine, type VrrpEffects, type VrrpRouterInfo } from '../../lib/vrrp/machine';
import type { VrrpMachineOptions } from '../../lib/vrrp/options';
import type { VrrpTransition } from '../../lib/vrrp/events';
import type { Advert, VrrpDropReason, VrrpTransport } from '../../lib/vrrp/types';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets promise chains (effects resolving) settle between timers. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FakeClock implements VrrpClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as Timer).cancelled = true;
  }

  /** Runs every timer due within ms, each at its own time, settling promises after each. */
  async advance(ms: number): Promise<void> {
    await this.runUntil(this.t + ms);
  }

  async runUntil(end: number): Promise<void> {
    await settle();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      next.cancelled = true;
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

export class FakeBus {
  readonly sent: { time: number; from: string; advert: Omit<Advert, 'source' | 'interface'> }[] = [];
  private readonly ports = new Set<FakeTransport>();

  constructor(readonly clock: FakeClock, readonly latency = 0) {}

  transport(source: string, family: Advert['family'] = 'inet'): FakeTransport {
    const port = new FakeTransport(this, source, family);
    this.ports.add(port);
    return port;
  }

  deliver(from: FakeTransport, advert: Omit<Advert, 'source' | 'interface'>): void {
    this.sent.push({ time: this.clock.now(), from: from.source, advert });
    for (const port of this.ports) {
      if (port === from || !port.connected) continue;
      const copy: Advert = { ...advert, addresses: [...advert.addresses], source: from.source, interface: 'eth0' };
      this.clock.setTimeout(() => port.receive(copy), this.latency);
    }
  }
}

export class FakeTransport implements VrrpTransport {
  /** A disconnected router neither sends nor hears (its cable pulled, or its process killed). */
  connected = true;
  /** Make send() reject (the socket's error). */
  failSend: Error | null = null;
  /** Its process stalled: adverts wait in the socket until drain() (or held is cleared and one more arrives). */
  held = false;
  /** drain() reads what waits (a socket's); false models a transport without it. */
  drainable = true;
  private readonly waiting: Advert[] = [];
  private readonly advertListeners: ((a: Advert) => void)[] = [];
  private readonly dropListeners: ((r: VrrpDropReason) => void)[] = [];

  constructor(private readonly bus: FakeBus, readonly source: string, readonly family: Advert['family']) {}

  send(advert: Omit<Advert, 'source' | 'interface'>): Promise<void> {
    if (this.failSend) return Promise.reject(this.failSend);
    if (this.connected) this.bus.deliver(this, advert);
    return Promise.resolve();
  }

  onAdvert(listener: (advert: Advert) => void): void {
    this.advertListeners.push(listener);
  }

  onDrop(listener: (reason: VrrpDropReason) => void): void {
    this.dropListeners.push(listener);
  }

  receive(advert: Advert): void {
    if (!this.connected) return;
    this.waiting.push(advert);
    if (!this.held) this.drain();
  }

  drain(): void {
    if (!this.drainable) return;
    for (let a = this.waiting.shift(); a; a = this.waiting.shift()) for (const l of this.advertListeners) l(a);
  }

  /** A packet the wire layer refused. */
  dropped(reason: VrrpDropReason): void {
    for (const l of this.dropListeners) l(reason);
  }

  async close(): Promise<void> {
    this.connected = false;
  }
}

/** Records every effect call with its time; an effect can be made to fail or take time. */
export class FakeHost implements VrrpEffects {
  readonly calls: { effect: string; time: number }[] = [];
  failBecome: Error | null = null;
  failLeave: Error | null = null;
  failAnnounce: Error | null = null;
  /** ms of fake time becomeMaster takes. */
  becomeDelay = 0;
  /** The router holds its addresses (between a becomeMaster that succeeded and the next leaveMaster). */
  holding = false;

  constructor(private readonly clock: FakeClock) {}

  becomeMaster(_router: VrrpRouterInfo): Promise<void> {
    this.calls.push({ effect: 'becomeMaster', time: this.clock.now() });
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        if (this.failBecome) reject(this.failBecome);
        else {
          this.holding = true;
          resolve();
        }
      };
      if (this.becomeDelay > 0) this.clock.setTimeout(done, this.becomeDelay);
      else done();
    });
  }

  leaveMaster(_router: VrrpRouterInfo): Promise<void> {
    this.calls.push({ effect: 'leaveMaster', time: this.clock.now() });
    this.holding = false;
    return this.failLeave ? Promise.reject(this.failLeave) : Promise.resolve();
  }

  announce(_router: VrrpRouterInfo): Promise<void> {
    this.calls.push({ effect: 'announce', time: this.clock.now() });
    return this.failAnnounce ? Promise.reject(this.failAnnounce) : Promise.resolve();
  }

  effects(name: string): number[] {
    return this.calls.filter((c) => c.effect === name).map((c) => c.time);
  }
}

export interface Router {
  machine: VrrpMachine;
  transport: FakeTransport;
  host: FakeHost;
  transitions: VrrpTransition[];
}

/** A group of routers on one bus and clock. */
export class Lab {
  readonly clock = new FakeClock();
  readonly bus: FakeBus;
  readonly routers: Router[] = [];

  constructor(latency = 0) {
    this.bus = new FakeBus(this.clock, latency);
  }

  /** A router with source 192.0.2.<n> (n = its index + 1 unless given), VIP 203.0.113.10, VRID 51, interval 1 s. */
  add(options: Partial<VrrpMachineOptions> & { priority: number }, source?: string): Router {
    const address = source ?? `192.0.2.${this.routers.length + 1}`;
    const transport = this.bus.transport(address, options.family ?? 'inet');
    const host = new FakeHost(this.clock);
    const machine = new VrrpMachine(
      { name: `r${this.routers.length}`, vrid: 51, family: 'inet', interval: 1000, addresses: ['203.0.113.10'], primaryAddress: address, ...options },
      transport, host, this.clock,
    );
    const router: Router = { machine, transport, host, transitions: [] };
    machine.on('transition', (t) => router.transitions.push(t));
    this.routers.push(router);
    return router;
  }

  /** A lab of routers with these priorities, started together, its clock advanced ms. */
  static async running(priorities: number[], ms: number): Promise<{ lab: Lab; routers: Router[] }> {
    const lab = new Lab();
    const routers = priorities.map((priority) => lab.add({ priority }));
    for (const r of routers) r.machine.start();
    await lab.clock.advance(ms);
    return { lab, routers };
  }

  masters(): Router[] {
    return this.routers.filter((r) => r.machine.state === 'master');
  }

  /**
   * Kills a router: it stops sending and hearing at once (no priority 0), then its machine stops.
   * Not awaited: stop() waits for the effects queued, and a slow becomeMaster runs on the fake
   * clock, which only moves when the test advances it.
   */
  kill(router: Router): void {
    router.transport.connected = false;
    void router.machine.stop();
  }

  /** Brings a killed router back. */
  revive(router: Router): void {
    router.transport.connected = true;
    router.machine.start();
  }
}

/** The time of the first transition of router to state after `after`. */
export function timeOf(router: Router, to: string, after = -Infinity): number | undefined {
  return router.transitions.find((t) => t.to === to && t.time > after)?.time;
}
