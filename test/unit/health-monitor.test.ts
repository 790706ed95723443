/**
 * The monitor on a fake clock (vitest's fake timers) with a scripted custom checker: schedule,
 * retries, rise/fall, alpha, quorum with hysteresis and the sorry server, update() keeping state,
 * stop() aborting. Every time below is the fake clock's, from 0.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HealthMonitor, IpvsValidationError, type CheckEvent, type CheckOutcome, type CheckTarget, type DesiredTable, type HealthTable,
  type HealthTransition, type QuorumTransition,
} from '../../lib';

const SVC = { protocol: 'tcp' as const, address: '203.0.113.10', port: 80 };
const dest = (n: number) => ({ address: `192.0.2.${n}`, port: 80 });

/** What each target answers now, by address; how long an attempt takes. */
let answers: Map<string, CheckOutcome>;
let latency = 0;
let running = 0;
let maxRunning = 0;
let aborted = 0;

function script(target: CheckTarget, _timeoutMs: number, signal: AbortSignal): Promise<CheckOutcome> {
  running++;
  maxRunning = Math.max(maxRunning, running);
  return new Promise((resolve) => {
    const done = (o: CheckOutcome) => {
      running--;
      resolve(o);
    };
    const answer = () => done(answers.get(target.address) ?? { ok: true, reason: 'fine' });
    if (latency === 0) return queueMicrotask(answer);
    const t = setTimeout(answer, latency);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      aborted++;
      done({ ok: false, reason: 'aborted' });
    }, { once: true });
  });
}

const down = (addr: string, reason = 'connect ECONNREFUSED') => answers.set(addr, { ok: false, reason });
const up = (addr: string) => answers.delete(addr);

function monitor(random = () => 0) {
  const m = new HealthMonitor({ checkers: { script: () => ({ check: script }) }, random });
  const transitions: HealthTransition[] = [];
  const quorums: QuorumTransition[] = [];
  const checks: CheckEvent[] = [];
  m.on('transition', (t) => transitions.push(t));
  m.on('quorum', (q) => quorums.push(q));
  m.on('check', (c) => checks.push(c));
  return { m, transitions, quorums, checks };
}

function table(check: Record<string, unknown>, n = 1, quorum?: Record<string, unknown>): HealthTable {
  return {
    services: [{
      service: SVC, ...(quorum ? { quorum } : {}),
      destinations: Array.from({ length: n }, (_, i) => ({ destination: dest(i + 1), weight: 1, check: { type: 'script', ...check } as never })),
    }],
  } as HealthTable;
}

const at = (ms: number) => vi.advanceTimersByTimeAsync(ms - Date.now());

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  answers = new Map();
  latency = 0;
  running = maxRunning = aborted = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('schedule', () => {
  it('checks every interval after a random warm-up, start to start', async () => {
    const { m, checks } = monitor(() => 0.5);
    m.update(table({ interval: 1000, warmup: 800 }));
    m.start();
    await at(3500);
    expect(checks.map((c) => c.at)).toEqual([400, 1400, 2400, 3400]);
    await m.stop();
  });

  it('never overlaps checks of one server: a slow check delays the next', async () => {
    latency = 1500;
    const { m, checks } = monitor();
    m.update(table({ interval: 1000, timeout: 1000, retries: 0 }));
    m.start();
    await at(6000);
    expect(maxRunning).toBe(1);
    // Each attempt is cut off at its timeout + 50 ms grace; the next starts then (its interval is spent;
    // Node runs a 0 ms timer after 1 ms).
    const ends = checks.map((c) => c.at);
    expect(ends[0]).toBe(1050);
    expect(ends.length).toBe(5);
    const gaps = ends.slice(1).map((end, i) => end - ends[i]);
    for (const gap of gaps) expect([1050, 1051]).toContain(gap);
    expect(new Set(checks.map((c) => c.outcome.reason))).toEqual(new Set(['timeout after 1000 ms']));
    await m.stop();
  });
});

describe('rise, fall, alpha, retries', () => {
  it('goes down after fall failed checks and up after rise good ones', async () => {
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, rise: 2, fall: 2, retries: 0 }));
    m.start();
    await at(2500);
    expect(transitions).toEqual([]);
    down('192.0.2.1');
    await at(3500);
    expect(m.states()[0].state).toBe('up');
    await at(4500);
    expect(transitions).toEqual([{ service: SVC, destination: dest(1), from: 'up', to: 'down', reason: 'connect ECONNREFUSED', at: 4000, since: 0 }]);
    expect(m.states()[0]).toMatchObject({ state: 'down', weight: 0, since: 4000, checkedAt: 4000 });
    up('192.0.2.1');
    await at(5500);
    expect(m.states()[0].state).toBe('down');
    await at(6500);
    expect(transitions[1]).toMatchObject({ from: 'down', to: 'up', reason: 'fine', at: 6000, since: 4000 });
    await m.stop();
  });

  it('one odd result between good ones changes nothing (hysteresis)', async () => {
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, fall: 2, retries: 0 }));
    m.start();
    await at(500);
    for (let t = 1000; t < 8000; t += 2000) {
      down('192.0.2.1');
      await at(t + 500);
      up('192.0.2.1');
      await at(t + 1500);
    }
    expect(transitions).toEqual([]);
    await m.stop();
  });

  it('without alpha a server starts up and a dead one takes fall checks to go down, at start as later', async () => {
    down('192.0.2.1');
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, fall: 3, retries: 0 }));
    m.start();
    await at(1500);
    expect(transitions).toEqual([]);
    expect(m.states()[0]).toMatchObject({ state: 'up' });
    await at(2500);
    expect(transitions.map((t) => [t.to, t.at])).toEqual([['down', 2000]]);
    await m.stop();
  });

  it('with alpha a server starts down and the first good check brings it up', async () => {
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, alpha: true, rise: 3 }));
    expect(m.states()[0]).toMatchObject({ state: 'down', weight: 0 });
    m.start();
    await at(10);
    expect(transitions.map((t) => [t.from, t.to, t.at])).toEqual([['down', 'up', 0]]);
    await m.stop();
  });

  it('retries a failed attempt after retryDelay; the check fails only when every attempt does', async () => {
    const { m, transitions, checks } = monitor();
    m.update(table({ interval: 5000, retries: 2, retryDelay: 100 }));
    down('192.0.2.1', 'status 503');
    m.start();
    await at(150);
    up('192.0.2.1');
    await at(1000);
    expect(checks.map((c) => [c.at, c.outcome.ok])).toEqual([[0, false], [100, false], [200, true]]);
    expect(transitions).toEqual([]);
    down('192.0.2.1', 'status 503');
    await at(6000);
    expect(checks.slice(3).map((c) => c.at)).toEqual([5000, 5100, 5200]);
    expect(transitions).toMatchObject([{ to: 'down', at: 5200, reason: 'status 503' }]);
    await m.stop();
  });

  it('a checker that throws or never settles is a failed attempt with a reason', async () => {
    const m = new HealthMonitor({
      checkers: { boom: () => ({ check: () => { throw new Error('bad'); } }), hang: () => ({ check: () => new Promise(() => {}) }) },
      random: () => 0,
    });
    m.update({ services: [{ service: SVC, destinations: [
      { destination: dest(1), weight: 1, check: { type: 'boom', retries: 0 } },
      { destination: dest(2), weight: 1, check: { type: 'hang', retries: 0, timeout: 300 } }] }] });
    m.start();
    await at(1000);
    expect(m.states().map((s) => [s.state, s.reason])).toEqual([['down', 'checker failed: bad'], ['down', 'timeout after 300 ms']]);
    await m.stop();
  });
});

describe('quorum and sorry server', () => {
  const desired: DesiredTable = {
    services: [{ service: SVC, destinations: [1, 2, 3].map((n) => ({ destination: dest(n), options: { forwarding: 'masq' as const, weight: 1 } })) }],
  };
  const weights = (m: HealthMonitor) => m.healthy(desired).table.services[0].destinations?.map((d) => [d.destination.address, d.options?.weight]);

  it('loses the quorum below min - hysteresis, regains it at min + hysteresis, with the sorry server meanwhile', async () => {
    const { m, quorums } = monitor();
    m.update(table({ interval: 1000, retries: 0 }, 3, { min: 2, hysteresis: 1, sorryServer: { address: '198.51.100.99', port: 8080 } }));
    m.start();
    down('192.0.2.1');
    down('192.0.2.2');
    await at(500);
    // Sum 1: below min but not below min - hysteresis.
    expect(quorums).toEqual([]);
    expect(m.quorums()).toEqual([{ service: SVC, up: true, weight: 1 }]);
    down('192.0.2.3');
    await at(1500);
    expect(quorums).toEqual([{ service: SVC, up: false, weight: 0, at: 1000 }]);
    expect(weights(m)).toEqual([['198.51.100.99', 1]]);
    expect(m.healthy(desired).table.services[0].destinations?.[0].options?.forwarding).toBe('masq');
    up('192.0.2.1');
    up('192.0.2.2');
    await at(2500);
    // Sum 2 is min, not min + hysteresis: still lost, and the live servers wait behind the sorry server.
    expect(quorums).toHaveLength(1);
    expect(m.healthy(desired).removed.map((r) => r.destination.address)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    up('192.0.2.3');
    await at(3500);
    expect(quorums[1]).toEqual({ service: SVC, up: true, weight: 3, at: 3000 });
    expect(weights(m)).toEqual([['192.0.2.1', 1], ['192.0.2.2', 1], ['192.0.2.3', 1]]);
    await m.stop();
  });

  it('inhibitOnFailure keeps a down server at weight 0; sorryServerInhibit keeps the sorry server at 0 while the quorum holds', async () => {
    const { m } = monitor();
    m.update(table({ interval: 1000, retries: 0, inhibitOnFailure: true }, 3, { sorryServer: { address: '198.51.100.99', port: 80 }, sorryServerInhibit: true }));
    m.start();
    down('192.0.2.2');
    await at(500);
    expect(weights(m)).toEqual([['192.0.2.1', 1], ['192.0.2.2', 0], ['192.0.2.3', 1], ['198.51.100.99', 0]]);
    expect(m.healthy(desired).removed).toEqual([]);
    await m.stop();
  });

  it('removes down servers and lists them; leaves unwatched servers and services alone', async () => {
    const { m } = monitor();
    m.update(table({ interval: 1000, retries: 0 }, 2));
    m.start();
    down('192.0.2.1');
    await at(500);
    const other = { service: { ...SVC, port: 443 }, destinations: [{ destination: { address: '192.0.2.1', port: 443 } }] };
    const out = m.healthy({ services: [...desired.services, other] });
    expect(out.table.services[0].destinations?.map((d) => d.destination.address)).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(out.table.services[1]).toBe(other);
    expect(out.removed).toEqual([{ service: SVC, destination: dest(1) }]);
    await m.stop();
  });

  it('applies a dynamic weight and emits change', async () => {
    const m = new HealthMonitor({ checkers: { dyn: () => ({ check: async () => ({ ok: true, reason: 'exit 7 (weight 5)', weight: 5 }) }) }, random: () => 0 });
    let changes = 0;
    m.on('change', () => changes++);
    m.update({ services: [{ service: SVC, destinations: [{ destination: dest(1), weight: 1, check: { type: 'dyn' } }] }] });
    const before = changes;
    m.start();
    await at(10);
    expect(changes).toBe(before + 1);
    expect(m.states()[0].weight).toBe(5);
    expect(weights(m)).toEqual([['192.0.2.1', 5], ['192.0.2.2', 1], ['192.0.2.3', 1]]);
    await m.stop();
  });
});

describe('update and stop', () => {
  it('keeps the state of servers whose key and settings did not change; restarts changed ones', async () => {
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, retries: 0 }, 2));
    m.start();
    down('192.0.2.1');
    down('192.0.2.2');
    await at(500);
    expect(m.states().map((s) => s.state)).toEqual(['down', 'down']);
    // Server 1 same settings (written differently: '1s'), server 2 new settings, server 3 new.
    const next = table({ interval: '1s', retries: 0 }, 3);
    next.services[0].destinations[1].check = { type: 'script', interval: 2000, retries: 0 } as never;
    m.update(next);
    expect(m.states().map((s) => [s.destination.address, s.state, s.since])).toEqual([
      ['192.0.2.1', 'down', 0], ['192.0.2.2', 'up', 500], ['192.0.2.3', 'up', 500]]);
    const n = transitions.length;
    await at(1200);
    // Server 1 kept its schedule (checked at 1000, not again at update); server 2 checked anew at once (warm-up 0).
    expect(transitions.slice(n).map((t) => [t.destination.address, t.to, t.at])).toEqual([['192.0.2.2', 'down', 500]]);
    await m.stop();
  });

  it('aborts the in-flight check of a removed server and of every server on stop', async () => {
    latency = 400;
    const { m, transitions } = monitor();
    m.update(table({ interval: 1000, timeout: 1000 }, 2));
    m.start();
    await at(100);
    expect(running).toBe(2);
    m.update(table({ interval: 1000, timeout: 1000 }, 1));
    expect(aborted).toBe(1);
    expect(m.states()).toHaveLength(1);
    await at(200);
    const stopping = m.stop();
    await stopping;
    expect(aborted).toBe(2);
    expect(running).toBe(0);
    await at(5000);
    expect(transitions).toEqual([]);
  });

  it('a listener that stops and starts the monitor leaves one schedule per server, not two', async () => {
    const { m, transitions, checks } = monitor();
    m.update(table({ interval: 1000, retries: 0 }));
    down('192.0.2.1');
    let restarted = false;
    m.on('transition', () => {
      if (restarted) return;
      restarted = true;
      void m.stop();
      m.start();
    });
    m.start();
    await at(500);
    expect(transitions).toHaveLength(1);
    const n = checks.length;
    await at(4500);
    // The restart's check at once (warm-up 0: a 0 ms timer runs at 1 ms), then one a second from it.
    expect(checks.slice(n).map((c) => c.at)).toEqual([1001, 2001, 3001, 4001]);
    await m.stop();
  });

  it('refuses a bad table as a whole, changing nothing', async () => {
    const { m } = monitor();
    m.update(table({ interval: 1000 }, 2));
    const bad = table({ interval: 1000 }, 3);
    (bad.services[0].destinations[2].check as { rise?: number }).rise = 0;
    expect(() => m.update(bad)).toThrow(IpvsValidationError);
    expect(m.states()).toHaveLength(2);
    expect(() => m.update(table({ type: 'nosuch' } as never))).toThrow(/health\.services\[0\]\.destinations\[0\]\.check\.type/);
  });

  it('validates its options', () => {
    expect(() => new HealthMonitor({ checkers: { tcp: () => ({ check: script }) } })).toThrow(/options\.checkers\.tcp/);
    expect(() => new HealthMonitor({ checkers: { constructor: () => ({ check: script }) } as never })).toThrow(/options\.checkers\.constructor/);
    expect(() => new HealthMonitor({ checkers: { x: 1 } as never })).toThrow(/options\.checkers\.x/);
    expect(() => new HealthMonitor({ clock: {} as never })).toThrow(/options\.clock/);
  });

  it('needs a port to check behind a port-0 destination', () => {
    const m = new HealthMonitor();
    const t = { services: [{ service: { fwmark: 1 }, destinations: [{ destination: { address: '192.0.2.1', port: 0 }, weight: 1, check: { type: 'tcp' as const } }] }] };
    expect(() => m.update(t)).toThrow(/check\.target\.port/);
    t.services[0].destinations[0].check = { type: 'tcp', target: { port: 80 } } as never;
    m.update(t);
  });
});
