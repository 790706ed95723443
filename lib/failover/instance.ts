/**
 * One `vrrp.instances[]` entry of the config, running: its socket, its state machine, the pollers of
 * its tracked interfaces and scripts, and its notify hooks. Service quorums are fed in from outside
 * (the director's health monitor: setService).
 *
 * Like keepalived, an instance tracks its own interface (weight 0) unless the config tracks it
 * already: a director whose link is down goes to fault and gives the VIPs up, so that when the link
 * comes back it returns as a backup (with its preempt delay) instead of a master without the
 * connections synced meanwhile.
 */
import type { VrrpInstanceConfig, VrrpTrack } from '../config/vrrp-settings';
import { runHook } from '../director/notify';
import { LinkWatch, linkUsable as usableNow, type LinkEvent } from '../host/link-watch';
import { hostNet } from '../host/net';
import { serviceId } from '../keys';
import { serviceKey } from '../validate/service';
import { systemClock, type VrrpClock } from '../vrrp/clock';
import { machineOptionsOf } from '../vrrp/from-config';
import { VrrpMachine, type VrrpEffects } from '../vrrp/machine';
import { OWNER_PRIORITY } from '../vrrp/options';
import { VrrpSocket } from '../vrrp/socket';
import { TrackPoller } from '../vrrp/track-poll';
import type { VrrpState, VrrpTransport } from '../vrrp/types';
import { hostEffects } from './effects';

/**
 * How often a tracked interface's link is read (one rtnetlink request) besides its events: the
 * kernel's link events say at once when it changes; the reading is the backstop.
 */
export const LINK_POLL_MS = 1000;

/** The link events of a namespace, as LinkWatch gives them. */
export interface LinkEvents {
  on(listener: (event: LinkEvent | 'overrun') => void): void;
  close(): void;
}

/** What a test or an embedder may put in place of the host's: the wire, the VIPs, the time. */
export interface FailoverParts {
  /** Default: a VrrpSocket on the instance's interface (peers and source as configured). */
  transport?: (instance: VrrpInstanceConfig, netns: string | null) => Promise<VrrpTransport & { readonly source: string }>;
  /** Default: the VIPs added and removed over rtnetlink, announced by gratuitous ARP / NA. */
  effects?: (instance: VrrpInstanceConfig, netns: string | null) => VrrpEffects;
  /** Default: the link read over rtnetlink, usable when up and running. */
  link?: (iface: string, netns: string | null) => Promise<boolean>;
  /** Default: the kernel's link events in the namespace (LinkWatch); opened when an instance tracks a link. */
  linkEvents?: (netns: string | null) => Promise<LinkEvents>;
  clock?: VrrpClock;
}

const HOOKS: Partial<Record<VrrpState, 'notifyMaster' | 'notifyBackup' | 'notifyFault'>> = {
  master: 'notifyMaster', backup: 'notifyBackup', fault: 'notifyFault',
};

export interface InstanceContext {
  netns: string | null;
  parts: FailoverParts;
  /** The last known quorum of each tracked service, by service id. */
  services: ReadonlyMap<string, boolean>;
  /** A hook that failed: its name, the command line, why. */
  onHookFailure: (hook: string, line: string, reason: string) => void;
}

function linkTrack(track: VrrpTrack): track is Extract<VrrpTrack, { kind: 'interface' }> {
  return track.kind === 'interface';
}

/** A link reading's deadline: generous, since a reading that does not come in time says nothing (below). */
export const LINK_READ_MS = 2000;

/** The link is usable: administratively up and running (a carrier). A missing interface is down. */
async function linkUsable(iface: string, netns: string | null): Promise<boolean> {
  const link = await hostNet<{ up: boolean; running: boolean }>(netns, { op: 'link', interface: iface }, `interface ${iface}`, 'reading', LINK_READ_MS);
  return link.up && link.running;
}

/**
 * A tracked interface: what its events and readings last said. A reading that failed (no such
 * interface, no permission) is a link down; one that timed out is no news, and the state stays as
 * last known: on a loaded host a slow reading must not put a healthy master in fault (the kernel
 * tests saw exactly that with a 200 ms limit). A reading that an event overtook says nothing either
 * (`generation` counts the events).
 */
class TrackedLink {
  usable = true;
  private generation = 0;

  constructor(readonly iface: string, private readonly read: (iface: string, netns: string | null) => Promise<boolean>, private readonly netns: string | null) {}

  /** Reads the link. `first`: nothing is known yet, so a reading that timed out is a link down too. */
  async check(first = false): Promise<boolean> {
    const generation = this.generation;
    let usable = this.usable;
    try {
      usable = await this.read(this.iface, this.netns);
    } catch (err) {
      if (first || (err as { code?: unknown }).code !== 'ETIMEDOUT') usable = false;
    }
    if (this.generation === generation) this.usable = usable;
    return this.usable;
  }

  /** What the kernel announced, in force at once. */
  event(e: LinkEvent): boolean {
    this.usable = usableNow(e);
    this.generation++;
    return this.usable;
  }
}

export class FailoverInstance {
  readonly machine: VrrpMachine;
  private readonly pollers: TrackPoller[] = [];
  /** The tracked inputs that are interfaces, by input name. */
  private readonly links = new Map<string, TrackedLink>();
  /** Tracked service inputs: service id -> input name. */
  private readonly serviceInputs = new Map<string, string>();
  private readonly effects: VrrpEffects;

  private constructor(
    readonly config: VrrpInstanceConfig, private readonly transport: VrrpTransport, private readonly context: InstanceContext,
    private readonly linkEvents: LinkEvents | null,
  ) {
    const { parts, netns } = context;
    const clock = parts.clock ?? systemClock;
    const options = machineOptionsOf(config, (transport as VrrpTransport & { source: string }).source);
    const tracks = [...(options.track ?? [])];
    const link = parts.link ?? linkUsable;
    // Its own interface, unless the config tracks it already (then with the config's weight).
    if (!config.track.some((t) => linkTrack(t) && t.interface === config.interface)) {
      const own = `interface ${config.interface}`;
      tracks.push({ name: own, weight: 0 });
      this.links.set(own, new TrackedLink(config.interface, link, netns));
    }
    const effects = parts.effects ? parts.effects(config, netns) : hostEffects(config, netns);
    this.effects = effects;
    this.machine = new VrrpMachine({ ...options, track: tracks }, transport, effects, clock);
    for (const t of config.track) {
      if (t.kind === 'interface') this.links.set(t.name, new TrackedLink(t.interface, link, netns));
      else if (t.kind === 'service') this.serviceInputs.set(serviceId(serviceKey(t.service)), t.name);
      else {
        const { command, timeout } = t;
        this.pollers.push(new TrackPoller(this.machine, {
          name: t.name, interval: t.interval, timeout, rise: t.rise, fall: t.fall,
          check: () => runHook(command, [], timeout).then((o) => o.ok),
        }, clock));
      }
    }
    for (const [name, l] of this.links)
      this.pollers.push(new TrackPoller(this.machine, { name, interval: LINK_POLL_MS, timeout: LINK_READ_MS * 2, check: () => l.check() }, clock));
    linkEvents?.on((event) => this.onLinkEvent(event));
    this.machine.on('transition', (t) => {
      const hook = HOOKS[t.to];
      const command = hook && config[hook];
      if (!command) return;
      const args = [config.name, t.to.toUpperCase(), String(t.priority)];
      void runHook(command, args).then((o) => {
        if (!o.ok) this.context.onHookFailure(hook, [...command, ...args].join(' '), o.reason);
      });
    });
  }

  /** Opens the instance's socket; nothing else runs until start(). */
  static async open(config: VrrpInstanceConfig, context: InstanceContext): Promise<FailoverInstance> {
    const transport = context.parts.transport
      ? await context.parts.transport(config, context.netns)
      : await VrrpSocket.open({
        interface: config.interface, family: config.family, ...(context.netns ? { netns: context.netns } : {}),
        ...(config.peers.length ? { peers: config.peers } : {}), ...(config.source ? { source: config.source } : {}),
      });
    let events: LinkEvents | null = null;
    try {
      // Every instance tracks at least its own interface.
      events = await (context.parts.linkEvents ?? ((netns) => LinkWatch.open(netns, LINK_READ_MS)))(context.netns);
      return new FailoverInstance(config, transport, context, events);
    } catch (err) {
      events?.close();
      await transport.close();
      throw err;
    }
  }

  /** A link event for a tracked interface changes its input now; after an overrun every link is read again. */
  private onLinkEvent(event: LinkEvent | 'overrun'): void {
    if (event === 'overrun') {
      for (const [name, l] of this.links) void l.check().then((usable) => this.machine.setTracked(name, usable));
      return;
    }
    for (const [name, l] of this.links) if (l.iface === event.name) this.machine.setTracked(name, l.event(event));
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * Tracked inputs as they are now (the links read once, the services' last quorum), then the
   * machine: an instance whose link is down starts in fault rather than as a backup for a moment.
   * VIPs already on the host are removed first: left by an agent that died without leaving (SIGKILL,
   * a crash), they would have this router, which starts as a backup (or in fault), answer ARP and
   * take traffic for them beside the master (RFC 5798 6.4.2: a backup must not). A master adds
   * them again. An owner (255) is master at once and keeps them.
   */
  async start(): Promise<void> {
    if (this.machine.priority !== OWNER_PRIORITY) {
      const o = this.machine.options;
      try {
        await this.effects.leaveMaster({ name: o.name, vrid: o.vrid, family: o.family, addresses: o.addresses, accept: o.accept });
      } catch (error) {
        // Reported as the machine reports its own effects' failures; the router starts all the same.
        this.machine.counters.effectErrors++;
        this.machine.emit('effect-error', { instance: o.name, effect: 'leaveMaster', error, time: (this.context.parts.clock ?? systemClock).now() });
      }
    }
    for (const [name, l] of this.links) this.machine.setTracked(name, await l.check(true));
    for (const [id, name] of this.serviceInputs) {
      const up = this.context.services.get(id);
      if (up !== undefined) this.machine.setTracked(name, up);
    }
    this.machine.start();
    for (const p of this.pollers) p.start();
  }

  /** A service's quorum changed (service id). */
  setService(id: string, up: boolean): void {
    const name = this.serviceInputs.get(id);
    if (name !== undefined) this.machine.setTracked(name, up);
  }

  /** Pollers stopped, then the machine (priority 0 if master, the VIPs removed), then the socket. */
  async stop(): Promise<void> {
    for (const p of this.pollers) p.stop();
    this.linkEvents?.close();
    await this.machine.stop();
    await this.transport.close();
  }
}
