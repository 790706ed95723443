/**
 * The config's vrrp: section running (lib/failover) on fakes: a multicast bus and a clock that only
 * moves when the test says, hosts that record their VIP effects, a sync client that records its
 * daemons. Election, stop, tracked links and service quorums, notify hooks, reloads that leave an
 * unchanged instance alone, and a start that fails part-way leaving nothing running.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VrrpSettings } from '../../lib/config/vrrp-settings';
import type { LogRecord } from '../../lib/director/types';
import { Failover } from '../../lib/failover';
import { LINK_POLL_MS } from '../../lib/failover/instance';
import type { LinkEvent } from '../../lib/host/link-watch';
import type { SyncClient } from '../../lib/sync/daemons';
import type { DaemonInfo, DaemonOptions, DaemonState } from '../../lib/types';
import { TRACK_SERVICE, failoverConfig } from './failover-config';
import { FakeBus, FakeClock, FakeHost, type FakeTransport } from './vrrp-machine-fakes';

const SERVICE = { protocol: 'tcp', address: '203.0.113.10', port: 80 } as const;

/** A config file's vrrp: section: one instance VI_1 (and extra YAML lines for it), sync on eth1. */
const settings = (priority: number, extra: string[] = [], more = ''): VrrpSettings => failoverConfig(priority, { extra, more }).vrrp;

class FakeSync implements SyncClient {
  readonly running = new Map<DaemonState, DaemonOptions>();
  readonly calls: string[] = [];
  async listDaemons(): Promise<DaemonInfo[]> {
    return [...this.running.values()].map((d) => ({ state: d.state, interface: d.interface, syncId: d.syncId ?? 0, group: '224.0.0.81', port: 8848, ttl: 1, maxLength: 1472 } as DaemonInfo));
  }
  async startDaemon(d: DaemonOptions): Promise<void> {
    this.calls.push(`start ${d.state}`);
    this.running.set(d.state, d);
  }
  async stopDaemon(state: DaemonState): Promise<void> {
    this.calls.push(`stop ${state}`);
    this.running.delete(state);
  }
}

interface Node {
  failover: Failover;
  host: FakeHost;
  sync: FakeSync;
  link: { up: boolean; error?: Error & { code?: string }; pending?: (up: boolean) => void };
  /** Sends a link event (or 'overrun') to the node's instances, as the kernel's RTNLGRP_LINK would. */
  linkEvent: (event: LinkEvent | 'overrun') => void;
  linkWatches: { open: number; closed: number };
  transports: FakeTransport[];
  logs: LogRecord[];
}

/** Link readings answered by the test (link.pending) while on. */
const holdReadings = { on: false };

function group() {
  const clock = new FakeClock();
  const bus = new FakeBus(clock, 1);
  let n = 0;
  const node = (vrrp: VrrpSettings, options: { failOpen?: string } = {}): Node => {
    const source = `192.0.2.${++n}`;
    const host = new FakeHost(clock);
    const sync = new FakeSync();
    const link: Node['link'] = { up: true };
    const transports: FakeTransport[] = [];
    const logs: LogRecord[] = [];
    const failover = new Failover({
      settings: vrrp, sync, log: (r) => logs.push(r),
      parts: {
        clock,
        transport: async (instance) => {
          if (instance.name === options.failOpen) throw new Error(`cannot open ${instance.interface}`);
          const t = bus.transport(source);
          transports.push(t);
          return t;
        },
        effects: () => host,
        link: async () => {
          if (link.error) throw link.error;
          // A reading held in flight until the test answers it.
          if (link.pending === undefined && holdReadings.on) return new Promise<boolean>((resolve) => { link.pending = (up) => { link.pending = undefined; resolve(up); }; });
          return link.up;
        },
        linkEvents: async () => {
          linkWatches.open++;
          return { on: (l) => { listeners.push(l); }, close: () => { linkWatches.closed++; } };
        },
      },
    });
    const listeners: ((event: LinkEvent | 'overrun') => void)[] = [];
    const linkWatches = { open: 0, closed: 0 };
    const linkEvent = (event: LinkEvent | 'overrun') => { for (const l of listeners) l(event); };
    return { failover, host, sync, link, transports, logs, linkEvent, linkWatches };
  };
  return { clock, node };
}

const state = (n: Node, name = 'VI_1') => n.failover.state(name);

/** Two directors (a's settings given, b at priority 100) started and settled: a master, b backup. */
async function elected(aSettings = settings(150)) {
  const g = group();
  const a = g.node(aSettings);
  const b = g.node(settings(100));
  await a.failover.start();
  await b.failover.start();
  await g.clock.advance(5000);
  expect([state(a), state(b)]).toEqual(['master', 'backup']);
  return { clock: g.clock, a, b };
}

describe('Failover', () => {
  it('two directors elect the higher priority; its sync daemon sends, the other receives; a stop hands over in Skew_Time', async () => {
    const { clock, a, b } = await elected();
    expect(a.host.holding).toBe(true);
    expect(b.host.holding).toBe(false);
    expect([...a.sync.running.keys()]).toEqual(['master']);
    expect([...b.sync.running.keys()]).toEqual(['backup']);
    expect(a.sync.running.get('master')).toMatchObject({ interface: 'eth1', syncId: 51 });
    expect(a.failover.status()).toMatchObject({ sync: { instance: 'VI_1', running: ['master'] }, instances: [{ name: 'VI_1', state: 'master', priority: 150 }] });

    const stopped = clock.now();
    await a.failover.stop();
    expect(a.host.holding).toBe(false);
    expect(a.sync.running.size).toBe(0);
    expect(a.transports[0].connected).toBe(false);
    await clock.advance(1000);
    expect(state(b)).toBe('master');
    const took = b.logs.find((r) => r.event === 'vrrp' && r.to === 'master')!;
    expect(took.reason).toBe('master-left');
    // Skew_Time of priority 100 at 1 s: (256 - 100) / 256 s, far below Master_Down_Interval (3.6 s).
    expect(b.host.effects('becomeMaster')[0] - stopped).toBeLessThanOrEqual(Math.ceil(((256 - 100) * 1000) / 256) + 2);
    expect([...b.sync.running.keys()]).toEqual(['master']);
    await b.failover.stop();
  });

  it("the default plan runs both daemons on every director from the start and switches nothing on a takeover", async () => {
    const g = group();
    const both = failoverConfig(150, { sync: 'default' }).vrrp;
    expect(both.sync?.run).toEqual({ master: ['master', 'backup'], backup: ['master', 'backup'], fault: ['master', 'backup'] });
    const a = g.node(both);
    const b = g.node(failoverConfig(100, { sync: 'default' }).vrrp);
    await a.failover.start();
    await b.failover.start();
    await g.clock.advance(5000);
    expect([state(a), state(b)]).toEqual(['master', 'backup']);
    for (const n of [a, b]) expect([...n.sync.running.keys()].sort()).toEqual(['backup', 'master']);
    const calls = b.sync.calls.length;
    await a.failover.stop();
    await g.clock.advance(1000);
    expect(state(b)).toBe('master');
    expect(b.sync.calls.slice(calls)).toEqual([]);
    expect(a.sync.running.size).toBe(0);
    await b.failover.stop();
  });

  it('a tracked service that loses its quorum lowers the priority and the backup takes over; regained, the master preempts back', async () => {
    const { clock, a, b } = await elected(settings(150, TRACK_SERVICE));
    a.failover.setServiceQuorum(SERVICE, false);
    expect(a.failover.status().instances[0].priority).toBe(90);
    await clock.advance(5000);
    expect([state(a), state(b)]).toEqual(['backup', 'master']);
    a.failover.setServiceQuorum(SERVICE, true);
    await clock.advance(5000);
    expect([state(a), state(b)]).toEqual(['master', 'backup']);
    await Promise.all([a.failover.stop(), b.failover.stop()]);
  });

  it('a quorum known before start is in force from the start', async () => {
    const { clock, node } = group();
    const a = node(settings(150, TRACK_SERVICE));
    a.failover.setServiceQuorum(SERVICE, false);
    await a.failover.start();
    expect(a.failover.status().instances[0].priority).toBe(90);
    await clock.advance(100);
    await a.failover.stop();
  });

  it("the instance's own link down is fault (VIPs given up); up again, it returns as backup and preempts", async () => {
    const { clock, a, b } = await elected();
    a.link.up = false;
    await clock.advance(LINK_POLL_MS * 2);
    expect(state(a)).toBe('fault');
    expect(a.host.holding).toBe(false);
    expect([...a.sync.running.keys()]).toEqual(['backup']);
    await clock.advance(2000);
    expect(state(b)).toBe('master');
    a.link.up = true;
    await clock.advance(LINK_POLL_MS * 2);
    expect(state(a)).toBe('backup');
    await clock.advance(5000);
    expect([state(a), state(b)]).toEqual(['master', 'backup']);
    await Promise.all([a.failover.stop(), b.failover.stop()]);
  });

  it("a link event changes the input at once; a reading begun before it does not undo it; an overrun reads the links again", async () => {
    const { clock, a, b } = await elected();
    const eth = (up: boolean, running = up): LinkEvent => ({ index: 2, name: 'eth0', up, running, removed: false });
    // No reading needed: the event alone puts the master in fault, before any poll.
    a.link.up = false;
    a.linkEvent(eth(true, false));
    await clock.advance(0);
    expect(state(a)).toBe('fault');
    expect(a.host.holding).toBe(false);
    // Another interface's event changes nothing.
    a.link.up = true;
    a.linkEvent({ index: 3, name: 'eth9', up: true, running: true, removed: false });
    await clock.advance(0);
    expect(state(a)).toBe('fault');
    // A reading in flight when the link comes back answers "down" late: the event is newer and stands.
    holdReadings.on = true;
    await clock.advance(LINK_POLL_MS);
    expect(a.link.pending).toBeTypeOf('function');
    a.linkEvent(eth(true));
    await clock.advance(0);
    expect(state(a)).toBe('backup');
    a.link.pending!(false);
    holdReadings.on = false;
    await clock.advance(0);
    expect(state(a)).toBe('backup');
    await clock.advance(5000);
    expect([state(a), state(b)]).toEqual(['master', 'backup']);
    // Events were lost (ENOBUFS): the links are read at once, not at the next poll.
    a.link.up = false;
    a.linkEvent('overrun');
    await clock.advance(0);
    expect(state(a)).toBe('fault');
    // A removed interface is down whatever its flags said.
    a.link.up = true;
    a.linkEvent(eth(true));
    await clock.advance(0);
    expect(state(a)).toBe('backup');
    a.linkEvent({ ...eth(true), removed: true });
    await clock.advance(0);
    expect(state(a)).toBe('fault');
    expect(a.linkWatches).toEqual({ open: 1, closed: 0 });
    await Promise.all([a.failover.stop(), b.failover.stop()]);
    expect(a.linkWatches).toEqual({ open: 1, closed: 1 });
  });

  it('a link reading that times out changes nothing (a loaded host is no link down); one that fails is a link down', async () => {
    const { clock, a } = await elected();
    a.link.error = Object.assign(new Error('reading interface eth0: ETIMEDOUT'), { code: 'ETIMEDOUT' });
    await clock.advance(LINK_POLL_MS * 10);
    expect(state(a)).toBe('master');
    a.link.error = Object.assign(new Error('reading interface eth0: ENODEV'), { code: 'ENODEV' });
    await clock.advance(LINK_POLL_MS * 2);
    expect(state(a)).toBe('fault');
    a.link.error = undefined;
    await clock.advance(LINK_POLL_MS * 2);
    expect(state(a)).toBe('backup');
    await a.failover.stop();
  });

  it('a link down at start is fault from the start: never master for a moment', async () => {
    const { clock, node } = group();
    const a = node(settings(150));
    a.link.up = false;
    await a.failover.start();
    await clock.advance(5000);
    expect(state(a)).toBe('fault');
    // Only the start's clean-up of VIPs a killed agent may have left: never added.
    expect(a.host.calls.map((c) => c.effect)).toEqual(['leaveMaster']);
    expect(a.logs.filter((r) => r.event === 'vrrp').map((r) => r.to)).toEqual(['fault']);
    await a.failover.stop();
  });

  it('notifyMaster runs with the instance, the state and the priority', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-notify-'));
    const out = join(dir, 'out');
    const script = join(dir, 'hook.js');
    writeFileSync(script, "require('fs').appendFileSync(process.argv[2], process.argv.slice(3).join(' ') + '\\n');\n");
    const { clock, node } = group();
    const a = node(settings(150, [`notifyMaster: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, ${JSON.stringify(out)}]`]));
    await a.failover.start();
    await clock.advance(5000);
    expect(state(a)).toBe('master');
    for (let i = 0; i < 100 && !readIf(out); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readIf(out)).toBe('VI_1 MASTER 150\n');
    await a.failover.stop();
  });

  it('a reload leaves an unchanged instance alone, restarts a changed one, stops a removed one and starts a new one', async () => {
    const { clock, node } = group();
    const two = (p: number) => settings(p, [], ['    - name: VI_2', '      interface: eth0', '      vrid: 52', '      priority: 50', '      vips: [203.0.113.20]'].join('\n'));
    const a = node(two(150));
    await a.failover.start();
    await clock.advance(5000);
    expect([state(a, 'VI_1'), state(a, 'VI_2')]).toEqual(['master', 'master']);
    const transitions = () => a.logs.filter((r) => r.event === 'vrrp' && r.to !== undefined).length;
    const before = transitions();
    const syncCalls = a.sync.calls.length;
    await a.failover.update(two(150));
    expect(transitions()).toBe(before);
    expect(a.sync.calls.length).toBe(syncCalls);

    // VI_1 changes (priority): it alone restarts; the sync daemons, driven by it, follow its new states.
    await a.failover.update(two(200));
    await clock.advance(5000);
    const after = a.logs.filter((r) => r.event === 'vrrp' && r.to !== undefined).slice(before).map((r) => `${r.instance} ${r.from}->${r.to}`);
    expect(after).toEqual(['VI_1 master->initialize', 'VI_1 initialize->backup', 'VI_1 backup->master']);
    expect(a.failover.status().instances.map((i) => [i.name, i.priority])).toEqual([['VI_2', 50], ['VI_1', 200]]);

    // VI_2 removed: stopped (its VIP given up); the sync section unchanged, its daemons untouched.
    const calls = a.sync.calls.length;
    await a.failover.update(settings(200));
    expect(state(a, 'VI_2')).toBeNull();
    expect(a.sync.calls.slice(calls)).toEqual([]);
    await a.failover.stop();
  });

  it('a start that cannot open one instance rejects and leaves nothing running', async () => {
    const { clock, node } = group();
    const a = node(settings(150, [], ['    - name: VI_2', '      interface: eth9', '      vrid: 52', '      vips: [203.0.113.20]'].join('\n')), { failOpen: 'VI_2' });
    await expect(a.failover.start()).rejects.toThrow('cannot open eth9');
    await clock.advance(5000);
    expect(a.transports.every((t) => !t.connected)).toBe(true);
    expect(a.host.calls).toEqual([]);
    expect(a.sync.running.size).toBe(0);
    expect(a.failover.status().instances).toEqual([]);
  });
});

function readIf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('hostEffects', () => {
  it('refuses accept: false (a master must take its VIPs\' traffic for IPVS to schedule it)', async () => {
    const { hostEffects } = await import('../../lib/failover');
    const vrrp = settings(150, ['accept: false']);
    expect(() => hostEffects(vrrp.instances[0], null)).toThrow(/accept: false needs effects of your own/);
    expect(() => hostEffects(settings(150).instances[0], null)).not.toThrow();
  });
});
