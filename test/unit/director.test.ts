/**
 * The Director against apply's real logic on a fake kernel (a Table) and a hand-driven monitor:
 * the first apply, transitions turned into deletions at once and additions, bursts coalesced,
 * drift repaired on the resync timer, reloads that change only what differs (and refused ones
 * that change nothing), stop keeping or removing what it owns, notify hooks, failures survived.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Director, type DirectorClock, type LogRecord } from '../../lib/director';
import { IpvsValidationError, parseConfig } from '../../lib';
import type { Ipvs } from '../../lib/ipvs';
import { FakeIpvs, FakeKernel } from '../helpers/fake-kernel';
import { FakeMonitor } from './director-fake-monitor';

const S = { protocol: 'tcp', address: '203.0.113.10', port: 80 } as const;
const server = (n: number) => ({ address: `198.51.100.${n}`, port: 80 });

function config(servers: number[], director = '') {
  return parseConfig([
    ...(director ? ['director:', ...director.split('\n').map((l) => `  ${l}`)] : []),
    'services:',
    '  - service: tcp 203.0.113.10:80',
    '    scheduler: wlc',
    '    forwarding: nat',
    '    health: { type: tcp, interval: 1s }',
    '    destinations:',
    ...servers.map((n) => `      - server: 198.51.100.${n}`),
  ].join('\n'), { format: 'yaml' });
}

class FakeClock implements DirectorClock {
  timers = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  now = () => Date.now();
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  /** Fires every timer due now (the resync timer), as if its interval had passed. */
  fire(): void {
    const due = [...this.timers];
    this.timers.clear();
    for (const [, t] of due) t.fn();
  }
}

function setup(servers = [1, 2, 3], director = '', rules = '') {
  const ipvs = new FakeIpvs(new FakeKernel(rules));
  const monitor = new FakeMonitor();
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  const d = new Director({ ipvs: ipvs as unknown as Ipvs, config: config(servers, director), monitor, clock, log: (r) => logs.push(r) });
  return { ipvs, kernel: ipvs.kernel, monitor, clock, logs, d };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const servers = (k: FakeKernel) => k.rules().split('\n').filter((l) => l.startsWith('-a')).map((l) => l.replace(/^-a -t 203.0.113.10:80 -r /, ''));

describe('Director', () => {
  it('start: applies the config, gives the monitor its health table, starts it and the resync timer', async () => {
    const { d, kernel, monitor, clock, logs } = setup();
    await d.start();
    expect(servers(kernel)).toEqual(['198.51.100.1:80 -m -w 1', '198.51.100.2:80 -m -w 1', '198.51.100.3:80 -m -w 1']);
    expect(monitor.updates).toHaveLength(1);
    expect(monitor.updates[0].services[0].destinations).toHaveLength(3);
    expect(monitor.started).toBe(1);
    expect([...clock.timers.values()].map((t) => t.ms)).toEqual([10_000]);
    expect(logs.map((l) => l.event)).toEqual(['apply', 'start']);
    expect(logs[1].message).toMatch(/1 services, 3 real servers, 3 checked/);
    await d.stop();
  });

  it('a server going down is deleted at once (no drain, even with connections); coming back, added again', async () => {
    const { d, kernel, monitor, logs } = setup();
    await d.start();
    kernel.connections.set('198.51.100.2', { active: 5, inactive: 2 });
    monitor.set(S, server(2), 'down');
    await settle();
    expect(servers(kernel).map((s) => s.split(':')[0])).toEqual(['198.51.100.1', '198.51.100.3']);
    const gone = logs.find((l) => l.event === 'transition')!;
    expect(gone.message).toMatch(/^tcp 203.0.113.10:80 -> 198.51.100.2:80 is gone \(up for 1.0 s\): connect ECONNREFUSED$/);
    expect(logs.find((l) => l.event === 'apply' && (l.reasons as string[]).includes('health'))!.message).toMatch(/- tcp 203.0.113.10:80 -> 198.51.100.2:80/);
    monitor.set(S, server(2), 'up');
    await settle();
    expect(servers(kernel)).toHaveLength(3);
    expect(logs.filter((l) => l.event === 'transition').map((l) => l.to)).toEqual(['down', 'up']);
    await d.stop();
  });

  it('a health change is applied from one reading; start and resync read until two readings agree', async () => {
    const { d, ipvs, monitor, clock } = setup();
    await d.start();
    monitor.set(S, server(2), 'down');
    await settle();
    clock.fire();
    await settle();
    expect(ipvs.calls.map((c) => c.options.consistent)).toEqual([true, false, true]);
    await d.stop();
  });

  it("one check's events (the last server's transition, then the lost quorum) make one apply: the sorry server comes in as the server goes", async () => {
    const ipvs = new FakeIpvs();
    const monitor = new FakeMonitor();
    const c = parseConfig('services:\n  - service: tcp 203.0.113.10:80\n    forwarding: nat\n    health: { type: tcp }\n    quorum: { sorryServer: 192.0.2.99 }\n    destinations:\n      - server: 198.51.100.1\n', { format: 'yaml' });
    const d = new Director({ ipvs: ipvs as unknown as Ipvs, config: c, monitor, clock: new FakeClock(), log: () => {} });
    await d.start();
    monitor.set(S, server(1), 'down');
    monitor.emit('quorum', { service: S, up: false, weight: 0, at: Date.now() });
    await settle();
    expect(ipvs.calls).toHaveLength(2);
    await d.stop();
  });

  it('coalesces a burst: transitions during an apply are served by one more apply', async () => {
    const { d, ipvs, kernel, monitor } = setup([1, 2, 3, 4, 5]);
    await d.start();
    const release = ipvs.hold();
    monitor.set(S, server(1), 'down'); // starts an apply (once this run ends), held at the gate
    await settle();
    for (const n of [2, 3, 4]) monitor.set(S, server(n), 'down');
    await settle();
    expect(ipvs.calls).toHaveLength(2); // start, and the held one; the rest wait for one more
    release();
    await settle();
    expect(ipvs.calls).toHaveLength(3);
    expect(servers(kernel).map((s) => s.split(':')[0])).toEqual(['198.51.100.5']);
    await d.stop();
  });

  it('a health change pre-empts a resync that has not sent yet: one apply does both, read once; a reload is not pre-empted', async () => {
    const { d, ipvs, kernel, monitor, logs } = setup();
    await d.start();
    kernel.table = kernel.table.applyAll([{ op: 'deleteDestination', service: S, destination: server(3) }]).table;
    let release = ipvs.hold();
    const writes: number[] = [];
    const batch = kernel.batch.bind(kernel);
    kernel.batch = async (ops) => (writes.push(ops.length), batch(ops));
    const resync = d.resync(); // held at the gate: reading
    await settle();
    monitor.set(S, server(2), 'down');
    await settle();
    expect(ipvs.calls[1].options.signal!.aborted).toBe(true);
    release();
    const result = await resync;
    // The resync sent nothing; the apply after it did its repair and the health change, from one reading.
    expect(writes).toEqual([2]);
    expect(ipvs.calls).toHaveLength(3);
    expect(ipvs.calls[2].options.consistent).toBe(false);
    expect(result.results.map((r) => `${r.step.action} ${r.step.destination?.address}`).sort()).toEqual(['add-destination 198.51.100.3', 'remove-destination 198.51.100.2']);
    expect(servers(kernel).map((x) => x.split(':')[0])).toEqual(['198.51.100.1', '198.51.100.3']);
    const applies = logs.filter((l) => l.event === 'apply');
    expect(applies.at(-1)!.reasons).toEqual(['health', 'resync']);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);

    // A reload under way is not stopped by a health change: it ends, then the health change is applied.
    release = ipvs.hold();
    const reloaded = d.reload(config([1, 2, 3, 4]));
    await settle();
    monitor.set(S, server(1), 'down');
    await settle();
    expect(ipvs.calls[3].options.signal!.aborted).toBe(false);
    release();
    await reloaded;
    await settle();
    expect(ipvs.calls).toHaveLength(5);
    expect(servers(kernel).map((x) => x.split(':')[0])).toEqual(['198.51.100.3', '198.51.100.4']);
    await d.stop();
  });

  it('a reload pre-empts a resync that has not sent yet: its apply repairs the drift too', async () => {
    const { d, ipvs, kernel, logs } = setup();
    await d.start();
    kernel.table = kernel.table.applyAll([{ op: 'deleteDestination', service: S, destination: server(1) }]).table;
    const release = ipvs.hold();
    const resync = d.resync();
    await settle();
    const reloaded = d.reload(config([1, 2, 3, 4]));
    await settle();
    expect(ipvs.calls[1].options.signal!.aborted).toBe(true);
    release();
    const [a, b] = await Promise.all([resync, reloaded]);
    expect(a).toBe(b);
    expect(ipvs.calls).toHaveLength(3);
    expect(ipvs.calls[2].options.consistent).toBe(true);
    expect(servers(kernel).map((x) => x.split(':')[0])).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']);
    expect(logs.filter((l) => l.event === 'apply').at(-1)!.reasons).toEqual(['reload', 'resync']);
    await d.stop();
  });

  it('resyncs start an interval apart, start to start; one that took most of the interval is followed after a quarter of it', async () => {
    const { d, ipvs, clock } = setup();
    let now = 1_000_000;
    clock.now = () => now;
    await d.start();
    const resyncTaking = async (ms: number) => {
      const release = ipvs.hold();
      clock.fire();
      await settle();
      now += ms;
      release();
      await settle();
      return [...clock.timers.values()].map((t) => t.ms);
    };
    expect(await resyncTaking(3_000)).toEqual([7_000]);
    expect(await resyncTaking(9_500)).toEqual([2_500]);
    expect(await resyncTaking(0)).toEqual([10_000]);
    await d.stop();
  });

  it('repairs drift on the resync timer: a server deleted or reweighted behind its back comes back', async () => {
    const { d, kernel, clock, logs } = setup();
    await d.start();
    kernel.table = kernel.table.applyAll([
      { op: 'deleteDestination', service: S, destination: server(1) },
      { op: 'updateDestination', service: S, destination: server(2), options: { weight: 9, forwarding: 'masq' } },
    ]).table;
    clock.fire();
    await settle();
    expect(servers(kernel)).toEqual(['198.51.100.1:80 -m -w 1', '198.51.100.2:80 -m -w 1', '198.51.100.3:80 -m -w 1']);
    expect(logs.filter((l) => l.event === 'apply').at(-1)!.message).toMatch(/^apply \(resync\): .*\+ tcp 203.0.113.10:80 -> 198.51.100.1:80.*~ tcp 203.0.113.10:80 -> 198.51.100.2:80  weight 9 → 1/);
    // The timer goes on; a resync with nothing to repair logs nothing.
    expect(clock.timers.size).toBe(1);
    const before = logs.length;
    clock.fire();
    await settle();
    expect(logs.length).toBe(before);
    await d.stop();
  });

  it('reload: only the difference is sent; the monitor keeps state; a server that left the config drains', async () => {
    const { d, kernel, monitor } = setup([1, 2]);
    await d.start();
    kernel.connections.set('198.51.100.2', { active: 1, inactive: 0 });
    kernel.writes.length = 0;
    const result = await d.reload(config([1, 3]));
    expect(monitor.updates).toHaveLength(2);
    expect(monitor.updates[1].services[0].destinations.map((x) => x.destination.address)).toEqual(['198.51.100.1', '198.51.100.3']);
    expect(kernel.writes.flat().map((op) => `${op.op} ${'destination' in op ? op.destination.address : ''}`)).toEqual([
      'addDestination 198.51.100.3', 'updateDestination 198.51.100.2',
    ]);
    expect(result.draining.map((x) => x.destination.address)).toEqual(['198.51.100.2']);
    expect(servers(kernel)).toContain('198.51.100.2:80 -m -w 0');
    await d.stop();
  });

  it('reload: a service that left the config is removed (owned); one it never declared is never touched', async () => {
    const { d, kernel } = setup([1], '', '-A -u 192.0.2.53:53 -s rr');
    await d.start();
    const other = parseConfig('services:\n  - service: tcp 203.0.113.20:443\n', { format: 'yaml' });
    await d.reload(other);
    expect(kernel.rules()).not.toContain('203.0.113.10:80');
    expect(kernel.rules()).toContain('-A -t 203.0.113.20:443');
    expect(kernel.rules()).toContain('-A -u 192.0.2.53:53');
    await d.stop();
  });

  it('a reload the monitor refuses changes nothing: the running config stays', async () => {
    const { d, kernel, monitor, ipvs } = setup([1]);
    await d.start();
    monitor.refuse = new IpvsValidationError('health.services[0]', 1, 'x');
    await expect(d.reload(config([1, 2]))).rejects.toBeInstanceOf(IpvsValidationError);
    expect(d.current.table.services[0].destinations).toHaveLength(1);
    expect(ipvs.calls).toHaveLength(1);
    expect(servers(kernel)).toHaveLength(1);
    monitor.refuse = null;
    await d.stop();
  });

  it('stop keeps the table by default; stop({ remove }) removes only what it owns', async () => {
    const kept = setup([1, 2]);
    await kept.d.start();
    await kept.d.stop();
    expect(kept.monitor.stopped).toBe(1);
    expect(kept.clock.timers.size).toBe(0);
    expect(servers(kept.kernel)).toHaveLength(2);
    await kept.d.stop(); // idempotent

    const removed = setup([1, 2], '', '-A -u 192.0.2.53:53 -s rr');
    await removed.d.start();
    await removed.d.stop({ remove: true });
    expect(removed.kernel.rules().trim()).toBe('-A -u 192.0.2.53:53 -s rr');
    expect(removed.logs.at(-1)!.message).toBe('stopped: removed the services it owned');
  });

  it('onStop: remove in the config is the default of stop()', async () => {
    const { d, kernel } = setup([1], 'onStop: remove');
    await d.start();
    await d.stop();
    expect(kernel.rules()).toBe('');
  });

  it('after stop, transitions are ignored', async () => {
    const { d, monitor, ipvs } = setup([1]);
    await d.start();
    await d.stop();
    monitor.emit('transition', { service: S, destination: server(1), from: 'up', to: 'down', reason: 'x', at: 0, since: 0 });
    await settle();
    expect(ipvs.calls).toHaveLength(1);
  });

  it('runs notify hooks without a shell, with server, service and state; a failing hook is logged, not fatal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'director-hook-'));
    const out = join(dir, 'calls');
    const hook = JSON.stringify([process.execPath, '-e', 'require("fs").appendFileSync(process.argv[1], process.argv.slice(2).join("|") + "\\n")', out]);
    const { d, monitor, logs } = setup([1, 2], `notify:\n  down: ${hook}\n  up: [/nonexistent/hook]`);
    await d.start();
    monitor.set(S, server(2), 'down');
    monitor.set(S, server(2), 'up');
    // Hooks run in the background: wait for the file and the log line (a loaded machine starts node slowly).
    for (let i = 0; i < 200 && !(existsSync(out) && logs.some((l) => l.event === 'notify')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(out, 'utf8')).toBe('198.51.100.2:80|tcp 203.0.113.10:80|down\n');
    expect(logs.find((l) => l.event === 'notify')!.message).toMatch(/notify up \/nonexistent\/hook 198.51.100.2:80 tcp 203.0.113.10:80 up: spawn ENOENT/);
    await d.stop();
  });

  it('an apply that fails is logged and emitted; the agent goes on and the next resync applies', async () => {
    const { d, kernel, monitor, clock, logs } = setup([1, 2]);
    await d.start();
    const failures: Error[] = [];
    d.on('failure', (e) => failures.push(e));
    const real = kernel.getTable.bind(kernel);
    kernel.getTable = async () => {
      throw new Error('netlink went away');
    };
    monitor.set(S, server(1), 'down');
    await settle();
    expect(failures.map((e) => e.message)).toEqual(['netlink went away']);
    expect(logs.find((l) => l.level === 'error')!.message).toBe('apply (health) failed: netlink went away');
    kernel.getTable = real;
    clock.fire();
    await settle();
    expect(servers(kernel).map((s) => s.split(':')[0])).toEqual(['198.51.100.2']);
    await d.stop();
  });

  it('a first apply that fails rejects start and leaves nothing running', async () => {
    const { d, kernel, monitor, clock } = setup([1]);
    kernel.getTable = async () => {
      throw new Error('EPERM');
    };
    await expect(d.start()).rejects.toThrow('EPERM');
    expect(monitor.started).toBe(0);
    expect(monitor.listenerCount('transition')).toBe(0);
    expect(clock.timers.size).toBe(0);
  });

  it("follows the monitor's 'change' (a dynamic weight) with an apply, and logs a quorum change naming the sorry server", async () => {
    const ipvs = new FakeIpvs();
    const monitor = new FakeMonitor();
    const logs: LogRecord[] = [];
    const c = parseConfig('services:\n  - service: tcp 203.0.113.10:80\n    forwarding: nat\n    health: { type: tcp }\n    quorum: { sorryServer: 192.0.2.99 }\n    destinations:\n      - server: 198.51.100.1\n', { format: 'yaml' });
    const d = new Director({ ipvs: ipvs as unknown as Ipvs, config: c, monitor, clock: new FakeClock(), log: (r) => logs.push(r) });
    await d.start();
    (monitor as unknown as EventEmitter).emit('change');
    await settle();
    expect(ipvs.calls).toHaveLength(2);
    monitor.emit('quorum', { service: S, up: false, weight: 0, at: Date.now() });
    await settle();
    expect(logs.find((l) => l.event === 'quorum')!.message).toBe('tcp 203.0.113.10:80 lost its quorum (healthy weight 0): sorry server 192.0.2.99:80 in');
    expect(ipvs.calls).toHaveLength(3);
    await d.stop();
    (monitor as unknown as EventEmitter).emit('change');
    await settle();
    expect(ipvs.calls).toHaveLength(3);
  });

  it('stop() during start: start finishes its apply but starts nothing', async () => {
    const { d, ipvs, monitor, clock } = setup([1]);
    const release = ipvs.hold();
    const starting = d.start();
    await settle();
    const stopping = d.stop();
    release();
    await starting;
    await stopping;
    expect(monitor.started).toBe(0);
    expect(clock.timers.size).toBe(0);
    expect(monitor.listenerCount('transition')).toBe(0);
  });

  it('a reload whose apply fails: the new config is in force and the next resync applies it', async () => {
    const { d, kernel, clock } = setup([1]);
    await d.start();
    const real = kernel.getTable.bind(kernel);
    kernel.getTable = async () => {
      throw new Error('busy');
    };
    const next = config([1, 2]);
    await expect(d.reload(next)).rejects.toThrow('busy');
    expect(d.current).toBe(next);
    kernel.getTable = real;
    clock.fire();
    await settle();
    expect(servers(kernel)).toHaveLength(2);
    await d.stop();
  });

  it('alpha servers down before any check are left out of the first apply', async () => {
    const { d, kernel, monitor } = setup([1, 2]);
    monitor.down.add(`${JSON.stringify(S)}>198.51.100.2:80`);
    await d.start();
    expect(servers(kernel).map((s) => s.split(':')[0])).toEqual(['198.51.100.1']);
    await d.stop();
  });

  it('refuses bad options, naming the field', () => {
    const ok = { ipvs: new FakeIpvs() as unknown as Ipvs, config: config([1]), monitor: new FakeMonitor() };
    const field = (o: object) => {
      try {
        new Director(o as never);
      } catch (err) {
        expect(err).toBeInstanceOf(IpvsValidationError);
        return (err as IpvsValidationError).field;
      }
      return null;
    };
    expect(field({ ...ok, ipvs: {} })).toBe('options.ipvs');
    expect(field({ ...ok, config: { table: { services: [] } } })).toBe('options.config.health');
    expect(field({ ...ok, monitor: { update() {} } })).toBe('options.monitor.start');
    expect(field({ ...ok, log: 'stdout' })).toBe('options.log');
    expect(field({ ...ok, metrics: 'yes' })).toBe('options.metrics');
    expect(field({ ...ok, ownership: 5 })).toBe('options.ownership');
    expect(field({ ...ok, extra: 1 })).toBe('options.extra');
    const settings = (director: object) => ({ ...ok, config: { ...ok.config, director: { ...ok.config.director, ...director } } });
    expect(field(settings({ resyncInterval: 0 }))).toBe('options.config.director.resyncInterval');
    expect(field(settings({ resyncInterval: '1s' }))).toBe('options.config.director.resyncInterval');
    expect(field(settings({ onStop: 'flush' }))).toBe('options.config.director.onStop');
    expect(field(settings({ notify: { up: '/bin/hook' } }))).toBe('options.config.director.notify.up');
    expect(field(settings({ metrics: true }))).toBe('options.config.director.metrics');
    expect(field(settings({ bogus: 1 }))).toBe('options.config.director.bogus');
    expect(field(JSON.parse('{"__proto__": 1}'))).toBe('options.__proto__');
  });
});
