/**
 * The VRRPv3 state machine (RFC 5798 §6) on a fake clock and a fake multicast bus: elections, the
 * RFC's timers to the microsecond, preemption and its delay, the address owner, ties broken by
 * address, tracking and fault, and the effects and events in their order.
 */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError } from '../../lib/errors';
import { compareAddresses } from '../../lib/vrrp/address-order';
import { VrrpMachine } from '../../lib/vrrp/machine';
import { checkMachineOptions } from '../../lib/vrrp/options';
import { masterDownIntervalMs, skewTimeMs } from '../../lib/vrrp/timers';
import { FakeClock, FakeHost, Lab, timeOf } from './vrrp-machine-fakes';

/** MDI and skew for a 1 s interval (100 cs), as the RFC computes them, in ms. */
const MDI = (p: number) => 3000 + Math.floor(((256 - p) * 1_000_000) / 256) / 1000;
const SKEW = (p: number) => Math.floor(((256 - p) * 1_000_000) / 256) / 1000;

describe('RFC 5798 timers', () => {
  it('Skew_Time and Master_Down_Interval, in whole microseconds like keepalived', () => {
    expect(skewTimeMs(100, 100)).toBe(609.375);
    expect(masterDownIntervalMs(100, 100)).toBe(3609.375);
    expect(skewTimeMs(254, 100)).toBe(7.812); // 7812.5 µs, cut to 7812
    expect(masterDownIntervalMs(1, 4095)).toBe(3 * 40950 + 40790.039);
    expect(skewTimeMs(255, 1)).toBe(0.039);
  });

  it('addresses compare as unsigned numbers, IPv4 and IPv6', () => {
    expect(compareAddresses('192.0.2.10', '192.0.2.9')).toBeGreaterThan(0);
    expect(compareAddresses('198.51.100.1', '203.0.113.1')).toBeLessThan(0);
    expect(compareAddresses('2001:db8::a', '2001:db8::9')).toBeGreaterThan(0);
    expect(compareAddresses('2001:db8:0:1::', '2001:db8::ffff')).toBeGreaterThan(0);
    expect(compareAddresses('::ffff:192.0.2.1', '::ffff:192.0.2.2')).toBeLessThan(0);
    expect(compareAddresses('2001:db8::1', '2001:db8::1')).toBe(0);
  });
});

describe('elections', () => {
  it('two routers: the higher priority is master after its own Master_Down_Interval; the other stays backup', async () => {
    const { lab, routers: [a, b] } = await Lab.running([200, 100], 30_000);
    expect(a.transitions.map((t) => [t.from, t.to, t.reason, t.time])).toEqual([
      ['initialize', 'backup', 'startup', 0],
      ['backup', 'master', 'master-down', MDI(200)],
    ]);
    expect(b.transitions.map((t) => t.to)).toEqual(['backup']);
    expect(lab.masters()).toEqual([a]);
    // One advert at once, then one per second.
    expect(lab.bus.sent.filter((s) => s.from === a.transport.source).map((s) => s.time).slice(0, 3)).toEqual([MDI(200), MDI(200) + 1000, MDI(200) + 2000]);
    expect(b.machine.counters.advertsReceived).toBe(27);
    expect(a.machine.counters).toMatchObject({ becameMaster: 1, advertsSent: 27, transitions: 2 });
  });

  it('three routers elect one; the master dies: the next takes over after exactly Master_Down_Interval from its last advert', async () => {
    const lab = new Lab();
    const [a, b, c] = [lab.add({ priority: 150 }), lab.add({ priority: 100 }), lab.add({ priority: 50 })];
    for (const r of lab.routers) r.machine.start();
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([a]);
    const last = lab.bus.sent.filter((s) => s.from === a.transport.source).at(-1)!.time;
    expect(last).toBe(MDI(150) + 6000);
    lab.kill(a);
    await lab.clock.advance(20_000);
    expect(timeOf(b, 'master')).toBe(last + MDI(100));
    expect(b.transitions.at(-1)).toMatchObject({ from: 'backup', to: 'master', reason: 'master-down' });
    expect(lab.masters()).toEqual([b]);
    expect(c.transitions.map((t) => t.to)).toEqual(['backup']);
  });

  it('a master that stops sends priority 0: a backup takes over after Skew_Time only', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150 });
    const b = lab.add({ priority: 100 });
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    await a.machine.stop();
    expect(lab.bus.sent.at(-1)).toMatchObject({ time: 10_000, from: '192.0.2.1', advert: { priority: 0 } });
    await lab.clock.advance(10_000);
    expect(timeOf(b, 'master')).toBe(10_000 + SKEW(100));
    expect(b.transitions.at(-1)!.reason).toBe('master-left');
    expect(a.transitions.at(-1)).toMatchObject({ from: 'master', to: 'initialize', reason: 'shutdown', time: 10_000 });
    expect(a.host.effects('leaveMaster')).toEqual([10_000]);
    expect(a.machine.counters.priorityZeroSent).toBe(1);
    expect(b.machine.counters.priorityZeroReceived).toBe(1);
  });

  it("a backup whose process stalled reads the advert waiting in its socket before its Master_Down_Timer acts: no takeover", async () => {
    for (const drainable of [true, false]) {
      const { lab, routers: [a, b] } = await Lab.running([150, 100], 10_000);
      // b's adverts now wait unread, as in a process whose overdue timers run before libuv polls.
      b.transport.held = true;
      b.transport.drainable = drainable;
      await lab.clock.advance(10_000);
      if (drainable) {
        expect(b.transitions.map((t) => t.to)).toEqual(['backup']);
        expect(lab.masters()).toEqual([a]);
      } else {
        // Without drain() the same stall is a takeover for nothing (what a transport lacking it risks).
        expect(b.transitions.map((t) => t.reason)).toContain('master-down');
      }
    }
  });

  it('a backup learns the master\'s interval: Master_Down_Interval is 3 of the master\'s intervals plus skew', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, interval: 2000 });
    const b = lab.add({ priority: 100, interval: 500 });
    a.machine.start();
    await lab.clock.advance(10_000);
    b.machine.start();
    await lab.clock.advance(10_000);
    expect(b.machine.status()).toMatchObject({ state: 'backup', masterAdverInterval: 2000, masterDownInterval: masterDownIntervalMs(100, 200) });
    const last = lab.bus.sent.filter((s) => s.from === a.transport.source).at(-1)!.time;
    lab.kill(a);
    await lab.clock.advance(20_000);
    expect(timeOf(b, 'master')).toBe(last + 6000 + skewTimeMs(100, 200));
  });
});

describe('preemption', () => {
  it('preempt (the default): a higher router that joins takes over after its Master_Down_Interval; the old master goes backup', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    const b = lab.add({ priority: 200 });
    a.machine.start();
    await lab.clock.advance(20_000);
    b.machine.start();
    await lab.clock.advance(20_000);
    expect(timeOf(b, 'master')).toBe(20_000 + MDI(200));
    expect(a.transitions.at(-1)).toMatchObject({ to: 'backup', reason: 'higher-priority', detail: '192.0.2.2 priority 200', time: 20_000 + MDI(200) });
    expect(lab.masters()).toEqual([b]);
    expect(a.host.effects('leaveMaster')).toEqual([20_000 + MDI(200)]);
  });

  it("preempting a live master, the first advert waits for the addresses and the first announcement; taking over from a dead one, it goes at once", async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    const b = lab.add({ priority: 200 });
    a.machine.start();
    await lab.clock.advance(20_000);
    b.host.becomeDelay = 40;
    b.machine.start();
    await lab.clock.advance(20_000);
    const took = timeOf(b, 'master')!;
    const firstAdvert = lab.bus.sent.find((s) => s.from === b.transport.source)!.time;
    // The old master hears it only once b holds the addresses and has announced them.
    expect(b.host.effects('becomeMaster')).toEqual([took]);
    expect(b.host.effects('announce')[0]).toBe(took + 40);
    expect(firstAdvert).toBe(took + 40);
    expect(a.host.effects('leaveMaster')).toEqual([took + 40]);
    expect(lab.masters()).toEqual([b]);
    // b dies: a takes over from no one, and its advert leaves with the transition.
    lab.kill(b);
    a.host.becomeDelay = 40;
    await lab.clock.advance(20_000);
    const back = a.transitions.filter((t) => t.to === 'master').at(-1)!;
    expect(back.time).toBeGreaterThan(took);
    expect(lab.bus.sent.find((s) => s.from === a.transport.source && s.time >= back.time)!.time).toBe(back.time);
  });

  it('no preempt: a higher router that joins stays backup until the master dies', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    const b = lab.add({ priority: 200, preempt: false });
    a.machine.start();
    await lab.clock.advance(20_000);
    b.machine.start();
    await lab.clock.advance(60_000);
    expect(lab.masters()).toEqual([a]);
    expect(b.transitions.map((t) => t.to)).toEqual(['backup']);
    const last = lab.bus.sent.at(-1)!.time;
    lab.kill(a);
    await lab.clock.advance(10_000);
    expect(timeOf(b, 'master')).toBe(last + MDI(200));
  });

  it('preempt delay: a returning router accepts the lower master until the delay ends, then takes over after Master_Down_Interval', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    const b = lab.add({ priority: 200, preemptDelay: 10_000 });
    a.machine.start();
    await lab.clock.advance(20_000);
    b.machine.start();
    await lab.clock.advance(30_000);
    // a's adverts: MDI(100) + k s. The last one before 30,000 (b's hold end) still resets b's timer.
    const lastHeld = MDI(100) + 26_000;
    expect(lastHeld).toBeLessThan(30_000);
    expect(timeOf(b, 'master')).toBe(lastHeld + MDI(200));
    expect(b.machine.status().preemptHoldUntil).toBe(30_000);
    expect(lab.masters()).toEqual([b]);
  });

  it('preempt delay, mixed intervals, 5 ms latency (the property\'s seed -118558197): the takeover comes one MDI after the hold ends, two masters for one latency only', async () => {
    const lab = new Lab(5);
    const r0 = lab.add({ priority: 1, interval: 500, preempt: false });
    const r1 = lab.add({ priority: 81, interval: 100, preempt: true, preemptDelay: 3000 });
    const r2 = lab.add({ priority: 63, interval: 100, preempt: false });
    for (const r of lab.routers) r.machine.start();
    await lab.clock.advance(332);
    lab.kill(r1);
    await lab.clock.advance(3336);
    lab.kill(r0);
    await lab.clock.advance(661);
    lab.revive(r1);
    // r2 took over at its MDI (r1, shorter, was killed first) and advertises every 100 ms.
    const r2Master = masterDownIntervalMs(63, 10);
    expect(timeOf(r2, 'master')).toBe(r2Master);
    expect(r1.machine.status().preemptHoldUntil).toBe(4329 + 3000);
    // r1 learns r2's interval (10 cs) and holds: its last accepted advert left r2 at 7,275.39 ms.
    await lab.clock.runUntil(7329);
    expect(lab.masters()).toEqual([r2]);
    expect(r1.machine.status().masterAdverInterval).toBe(100);
    // The hold over, r1 ignores r2's adverts and takes over one MDI after the last it accepted.
    const takeover = 7648.749;
    expect(r2Master + 69 * 100 + 5 + masterDownIntervalMs(81, 10)).toBeCloseTo(takeover, 9);
    await lab.clock.runUntil(takeover);
    expect(r1.transitions.at(-1)).toMatchObject({ from: 'backup', to: 'master', reason: 'master-down', time: takeover });
    // RFC 5798 §6.4.3: r2 leaves when r1's advert reaches it, one bus latency later; until then both are master.
    expect(lab.masters()).toEqual([r1, r2]);
    await lab.clock.runUntil(takeover + 4.999);
    expect(lab.masters()).toEqual([r1, r2]);
    await lab.clock.runUntil(takeover + 5);
    expect(r2.transitions.at(-1)).toMatchObject({ from: 'master', to: 'backup', reason: 'higher-priority', time: takeover + 5 });
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([r1]);
    expect(r1.transitions.filter((t) => t.to === 'master')).toHaveLength(1);
    expect([r0, r1, r2].map((r) => r.host.holding)).toEqual([false, true, false]);
  });

  it('preempt delay does not delay taking over when there is no master', async () => {
    const lab = new Lab();
    const b = lab.add({ priority: 200, preemptDelay: 60_000 });
    b.machine.start();
    await lab.clock.advance(5000);
    expect(timeOf(b, 'master')).toBe(MDI(200));
  });

  it('the address owner (255) is master at once, and a lower master goes backup on its first advert', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150 });
    a.machine.start();
    await lab.clock.advance(10_000);
    const owner = lab.add({ priority: 255, preemptDelay: 30_000 });
    owner.machine.start();
    expect(owner.transitions).toMatchObject([{ from: 'initialize', to: 'master', reason: 'owner', time: 10_000, priority: 255 }]);
    await lab.clock.advance(0);
    expect(a.transitions.at(-1)).toMatchObject({ to: 'backup', reason: 'higher-priority', time: 10_000 });
    expect(owner.host.effects('becomeMaster')).toEqual([10_000]);
    await lab.clock.advance(20_000);
    expect(lab.masters()).toEqual([owner]);
  });

  it('equal priorities: of two routers that start together the greater address stays master', async () => {
    for (const [family, low, high, vip] of [
      ['inet', '192.0.2.9', '192.0.2.10', '203.0.113.10'],
      ['inet6', '2001:db8::9', '2001:db8::a', '2001:db8:1::10'],
    ] as const) {
      const lab = new Lab();
      const a = lab.add({ priority: 100, family, addresses: [vip] }, high);
      const b = lab.add({ priority: 100, family, addresses: [vip] }, low);
      // Both backups time out together, both become master, and the lower address yields on the other's advert.
      b.machine.start();
      a.machine.start();
      await lab.clock.advance(10_000);
      expect(lab.masters()).toEqual([a]);
      expect(b.transitions.map((t) => [t.to, t.time])).toEqual([['backup', 0], ['master', MDI(100)], ['backup', MDI(100)]]);
      expect(b.transitions.at(-1)!.reason).toBe('higher-priority');
    }
  });

  it('equal priorities: a greater address that joins later does not preempt (RFC: ties matter only between masters)', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 }, '192.0.2.1');
    const b = lab.add({ priority: 100 }, '192.0.2.200');
    a.machine.start();
    await lab.clock.advance(10_000);
    b.machine.start();
    await lab.clock.advance(30_000);
    expect(lab.masters()).toEqual([a]);
  });

  it('a lower router that thinks itself master (a healed partition): the master stays, answers at once, and the other goes backup', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 200 });
    const b = lab.add({ priority: 100 });
    b.transport.connected = false;
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([a, b]);
    // b sends at MDI(100) + k s; a at MDI(200) + k s. Reconnect just after a's advert: b's comes first.
    await lab.clock.runUntil(MDI(200) + 10_000 + 1);
    b.transport.connected = true;
    const bNext = MDI(100) + 10_000;
    await lab.clock.runUntil(bNext);
    expect(a.transitions.map((t) => t.to)).toEqual(['backup', 'master']);
    expect(b.transitions.at(-1)).toMatchObject({ from: 'master', to: 'backup', reason: 'higher-priority', time: bNext });
    expect(lab.bus.sent.filter((s) => s.time === bNext).map((s) => [s.from, s.advert.priority])).toEqual([['192.0.2.2', 100], ['192.0.2.1', 200]]);
    await lab.clock.advance(20_000);
    expect(lab.masters()).toEqual([a]);
  });
});

describe('tracking and fault', () => {
  it('a negative weight lowers the priority while its input is down: the backup takes over, the old master goes backup', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, track: [{ name: 'eth1', weight: -60 }] });
    const b = lab.add({ priority: 100 });
    const priorities: number[] = [];
    a.machine.on('priority', (p) => priorities.push(p.from, p.to));
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([a]);
    const last150 = lab.bus.sent.filter((s) => s.from === a.transport.source).at(-1)!.time;
    a.machine.setTracked('eth1', false);
    expect(priorities).toEqual([150, 90]);
    expect(a.machine.priority).toBe(90);
    await lab.clock.advance(10_000);
    expect(timeOf(b, 'master')).toBe(last150 + MDI(100));
    expect(a.transitions.at(-1)).toMatchObject({ to: 'backup', reason: 'higher-priority', priority: 90 });
    expect(lab.masters()).toEqual([b]);
    // Up again: 150 > 100, preempting: b's adverts are ignored from now, and the Master_Down_Timer
    // set at b's last advert (with a's priority then, 90) runs out.
    const t = lab.clock.now();
    a.machine.setTracked('eth1', true);
    await lab.clock.advance(10_000);
    const lastB = lab.bus.sent.filter((s) => s.from === b.transport.source && s.time <= t).at(-1)!.time;
    expect(timeOf(a, 'master', t)).toBeCloseTo(lastB + masterDownIntervalMs(90, 100), 9);
    expect(lab.masters()).toEqual([a]);
  });

  it('a positive weight adds while up; the result stays within 1-254; unknown inputs are ignored', () => {
    const lab = new Lab();
    const make = (priority: number, weight: number, up: boolean) =>
      lab.add({ priority, track: [{ name: 'x', weight, up }] }).machine;
    expect(make(100, 60, true).priority).toBe(160);
    expect(make(100, 60, false).priority).toBe(100);
    expect(make(10, -50, false).priority).toBe(1);
    expect(make(250, 50, true).priority).toBe(254);
    const m = make(100, -10, true);
    m.setTracked('nope', false);
    expect(m.priority).toBe(100);
    // Not started: tracking sets no timer.
    expect(lab.clock.pending()).toBe(0);
  });

  it('weight 0 down: fault (a master sends priority 0 and leaves); inputs up again: backup, then master by preemption', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, track: [{ name: 'quorum', weight: 0 }, { name: 'eth0', weight: 0 }] });
    const b = lab.add({ priority: 100 });
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    a.machine.setTracked('quorum', false);
    a.machine.setTracked('eth0', false);
    expect(a.transitions.at(-1)).toMatchObject({ from: 'master', to: 'fault', reason: 'track', detail: 'quorum', time: 10_000 });
    expect(lab.bus.sent.at(-1)).toMatchObject({ from: '192.0.2.1', advert: { priority: 0 } });
    await lab.clock.advance(10_000);
    expect(timeOf(b, 'master')).toBe(10_000 + SKEW(100));
    expect(a.host.effects('leaveMaster')).toEqual([10_000]);
    expect(a.machine.state).toBe('fault');
    expect(a.machine.counters.advertsReceived).toBeGreaterThan(5);
    a.machine.setTracked('quorum', true);
    expect(a.machine.state).toBe('fault');
    a.machine.setTracked('eth0', true);
    expect(a.transitions.at(-1)).toMatchObject({ from: 'fault', to: 'backup', reason: 'recovered', time: 20_000 });
    await lab.clock.advance(10_000);
    expect(timeOf(a, 'master', 20_000)).toBe(20_000 + MDI(150));
    expect(lab.masters()).toEqual([a]);
  });

  it('an input down at start: the router starts in fault and sends nothing', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, track: [{ name: 'eth0', weight: 0, up: false }] });
    a.machine.start();
    await lab.clock.advance(10_000);
    expect(a.transitions).toMatchObject([{ from: 'initialize', to: 'fault', reason: 'track', detail: 'eth0' }]);
    expect(lab.bus.sent).toEqual([]);
  });

  it('an owner in fault returns as master at once', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 255, track: [{ name: 'eth0', weight: 0 }] });
    a.machine.start();
    a.machine.setTracked('eth0', false);
    await lab.clock.advance(1000);
    a.machine.setTracked('eth0', true);
    expect(a.transitions.map((t) => [t.to, t.reason, t.time])).toEqual([['master', 'owner', 0], ['fault', 'track', 0], ['master', 'owner', 1000]]);
  });
});

describe('effects and events', () => {
  it('in order: transition event, becomeMaster, announce bursts (garp repeat, delay, refresh, interval); stop: leaveMaster; nothing after', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100, garp: { repeat: 3, delay: 5000, refresh: 20_000, refreshRepeat: 2, interval: 100 } });
    const order: string[] = [];
    a.machine.on('transition', (t) => order.push(`${t.to}@${t.time}`));
    const become = a.host.becomeMaster.bind(a.host);
    a.host.becomeMaster = (r) => (order.push(`becomeMaster@${lab.clock.now()}`), become(r));
    a.machine.start();
    await lab.clock.advance(30_000);
    const t = MDI(100);
    expect(order).toEqual(['backup@0', `master@${t}`, `becomeMaster@${t}`]);
    expect(a.host.effects('announce')).toEqual([
      t, t + 100, t + 200, // at once
      t + 5000, t + 5100, t + 5200, // garp delay
      t + 20_000, t + 20_100, // refresh
    ]);
    await a.machine.stop();
    await lab.clock.advance(60_000);
    expect(a.host.calls.map((c) => c.effect).filter((e) => e !== 'announce')).toEqual(['becomeMaster', 'leaveMaster']);
    expect(a.host.effects('announce')).toHaveLength(8);
    expect(lab.clock.pending()).toBe(0);
  });

  it('garp defaults (keepalived\'s): 5 at once, 5 more after 5 s, no refresh', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    a.machine.start();
    await lab.clock.advance(60_000);
    const t = MDI(100);
    expect(a.host.effects('announce')).toEqual([t, t, t, t, t, t + 5000, t + 5000, t + 5000, t + 5000, t + 5000]);
  });

  it('leaving master while becomeMaster is still running: leaveMaster runs after it, no announcement', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    a.host.becomeDelay = 500;
    a.machine.start();
    await lab.clock.runUntil(MDI(100) + 100);
    expect(a.machine.state).toBe('master');
    const stopped = a.machine.stop();
    await lab.clock.advance(1000);
    await stopped;
    expect(a.host.calls).toEqual([{ effect: 'becomeMaster', time: MDI(100) }, { effect: 'leaveMaster', time: MDI(100) + 500 }]);
    expect(a.host.holding).toBe(false);
  });

  it('becomeMaster fails: fault at once (priority 0, leaveMaster to undo), the backup takes over; after effectRetry the router tries again', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 150, effectRetry: 20_000 });
    const b = lab.add({ priority: 100 });
    const errors: string[] = [];
    a.machine.on('effect-error', (e) => errors.push(`${e.effect}: ${(e.error as Error).message}`));
    a.host.failBecome = new Error('EPERM');
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    const t = MDI(150);
    expect(a.transitions.map((x) => [x.to, x.reason, x.time])).toEqual([['backup', 'startup', 0], ['master', 'master-down', t], ['fault', 'effect-failed', t]]);
    expect(a.transitions.at(-1)!.detail).toBe('EPERM');
    expect(errors).toEqual(['becomeMaster: EPERM']);
    expect(a.host.calls.map((c) => c.effect)).toEqual(['becomeMaster', 'leaveMaster']);
    expect(timeOf(b, 'master')).toBe(t + SKEW(100));
    a.host.failBecome = null;
    await lab.clock.advance(30_000);
    expect(timeOf(a, 'backup', t)).toBe(t + 20_000);
    expect(a.transitions.at(-2)).toMatchObject({ to: 'backup', reason: 'recovered' });
    expect(lab.masters()).toEqual([a]);
    expect(a.host.holding).toBe(true);
  });

  it('leaveMaster, announce and send failures are reported and counted; the machine goes on', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100, garp: { repeat: 2, delay: 0 } });
    const events: string[] = [];
    a.machine.on('effect-error', (e) => events.push(e.effect));
    a.machine.on('send-error', (e) => events.push(`send ${e.priority}`));
    a.host.failAnnounce = new Error('ENETDOWN');
    a.host.failLeave = new Error('EBUSY');
    a.machine.start();
    await lab.clock.advance(10_000);
    expect(a.machine.state).toBe('master');
    a.transport.failSend = new Error('ENOBUFS');
    await a.machine.stop();
    expect(events).toEqual(['announce', 'announce', 'send 0', 'leaveMaster']);
    expect(a.machine.counters).toMatchObject({ effectErrors: 3, sendErrors: 1, priorityZeroSent: 0 });
    expect(a.machine.state).toBe('initialize');
  });

  it('an effect that throws instead of rejecting has failed all the same: becomeMaster -> fault', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 100 });
    a.host.becomeMaster = () => {
      throw new Error('no netlink');
    };
    a.host.leaveMaster = () => {
      throw new Error('still no netlink');
    };
    const errors: string[] = [];
    a.machine.on('effect-error', (e) => errors.push(`${e.effect}: ${(e.error as Error).message}`));
    a.machine.start();
    await lab.clock.advance(5000);
    expect(a.machine.state).toBe('fault');
    expect(errors).toEqual(['becomeMaster: no netlink', 'leaveMaster: still no netlink']);
  });

  it('a send that throws instead of rejecting is a send error too', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 255 });
    a.transport.send = () => {
      throw new Error('bad');
    };
    a.machine.start();
    await lab.clock.advance(0);
    expect(a.machine.counters.sendErrors).toBe(1);
  });
});

describe('what the machine hears', () => {
  it('another VRID is ignored (counted); another family, its own address and interval 0 are dropped; wire drops counted', async () => {
    const lab = new Lab();
    const other = lab.add({ priority: 200, vrid: 52 });
    const b = lab.add({ priority: 100 });
    other.machine.start();
    b.machine.start();
    await lab.clock.advance(10_000);
    expect(lab.masters()).toEqual([other, b]);
    expect(b.machine.counters.otherVrid).toBeGreaterThan(0);
    const base = { vrid: 51, priority: 250, intervalCs: 100, addresses: ['203.0.113.10'] };
    b.transport.receive({ ...base, family: 'inet6', source: '2001:db8::1' });
    b.transport.receive({ ...base, family: 'inet', source: '192.0.2.2' });
    b.transport.receive({ ...base, family: 'inet', intervalCs: 0, source: '192.0.2.7' });
    b.transport.dropped('checksum');
    b.transport.dropped('checksum');
    b.transport.dropped('ttl');
    expect(b.machine.state).toBe('master');
    expect(b.machine.counters.drops).toEqual({ family: 1, 'own-address': 1, interval: 1, checksum: 2, ttl: 1 });
  });

  it('our VRID with other addresses: counted every time, reported when it changes, and still processed', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 200, addresses: ['203.0.113.10', '203.0.113.11'] });
    const b = lab.add({ priority: 100, addresses: ['203.0.113.10', '203.0.113.12'] });
    const reports: unknown[] = [];
    b.machine.on('address-mismatch', (m) => reports.push([m.source, m.missing, m.extra]));
    a.machine.start();
    b.machine.start();
    await lab.clock.advance(20_000);
    expect(lab.masters()).toEqual([a]);
    expect(reports).toEqual([['192.0.2.1', ['203.0.113.12'], ['203.0.113.11']]]);
    expect(b.machine.counters.addressListErrors).toBe(b.machine.counters.advertsReceived);
    expect(b.machine.counters.addressListErrors).toBeGreaterThan(10);
  });

  it('a stopped router hears nothing; start() twice is one start; stop() twice is one stop', async () => {
    const lab = new Lab();
    const a = lab.add({ priority: 200 });
    const b = lab.add({ priority: 100 });
    a.machine.start();
    await lab.clock.advance(5000);
    expect(b.machine.counters.advertsReceived).toBe(0);
    b.machine.start();
    b.machine.start();
    await b.machine.stop();
    await b.machine.stop();
    expect(b.transitions.map((t) => t.to)).toEqual(['backup', 'initialize']);
  });
});

describe('options', () => {
  const good = { name: 'VI_1', vrid: 51, family: 'inet', priority: 100, addresses: ['203.0.113.10'], primaryAddress: '192.0.2.1' };

  it('defaults filled; IPv6 addresses canonical', () => {
    expect(checkMachineOptions(good)).toEqual({
      ...good, interval: 1000, preempt: true, preemptDelay: 0, accept: true, effectRetry: 10_000, track: [],
      garp: { repeat: 5, delay: 5000, refresh: 0, refreshRepeat: 1, interval: 0 },
    });
    expect(checkMachineOptions({ ...good, family: 'inet6', addresses: ['2001:DB8:0::10'], primaryAddress: '2001:db8::1', interval: '50ms' }))
      .toMatchObject({ addresses: ['2001:db8::10'], interval: 50 });
  });

  it.each([
    [{ vrid: 0 }, 'options.vrid'],
    [{ vrid: 256 }, 'options.vrid'],
    [{ priority: 0 }, 'options.priority'],
    [{ priority: 256 }, 'options.priority'],
    [{ priority: 1.5 }, 'options.priority'],
    [{ interval: 15 }, 'options.interval'],
    [{ interval: 0 }, 'options.interval'],
    [{ interval: 40_960 }, 'options.interval'],
    [{ family: 'ipv4' }, 'options.family'],
    [{ addresses: [] }, 'options.addresses'],
    [{ addresses: ['2001:db8::1'] }, 'options.addresses[0]'],
    [{ addresses: ['203.0.113.10', '203.0.113.10'] }, 'options.addresses[1]'],
    [{ primaryAddress: 'eth0' }, 'options.primaryAddress'],
    [{ priority: 255, preempt: false }, 'options.preempt'],
    [{ priority: 255, track: [{ name: 'x', weight: -10 }] }, 'options.track[0].weight'],
    [{ track: [{ name: 'x', weight: 254 }] }, 'options.track[0].weight'],
    [{ track: [{ name: 'x', weight: 1 }, { name: 'x', weight: 2 }] }, 'options.track[1].name'],
    [{ preemptDelay: -1 }, 'options.preemptDelay'],
    [{ garp: { repeat: 0 } }, 'options.garp.repeat'],
    [{ garp: { refresh: 50 } }, 'options.garp.refresh'],
    [{ garp: { burst: 1 } }, 'options.garp.burst'],
    [{ accept: 'yes' }, 'options.accept'],
    [{ name: '' }, 'options.name'],
    [{ colour: 1 }, 'options.colour'],
    [JSON.parse('{"__proto__": {"priority": 1}}'), 'options.__proto__'],
    [JSON.parse('{"constructor": 1}'), 'options.constructor'],
  ])('%j: IpvsValidationError naming %s', (bad, field) => {
    // Defined, not assigned: `__proto__` stays an own key, as JSON.parse makes it.
    const value = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
    for (const key of Object.keys(bad)) Object.defineProperty(value, key, { value: (bad as Record<string, unknown>)[key], enumerable: true });
    let caught: unknown;
    try {
      checkMachineOptions(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IpvsValidationError);
    expect((caught as IpvsValidationError).field).toBe(field);
  });

  it('the constructor refuses a transport, effects or clock without their methods; setTracked a non-boolean', () => {
    const clock = new FakeClock();
    const lab = new Lab();
    const transport = lab.bus.transport('192.0.2.1');
    const host = new FakeHost(clock);
    const fields = (make: () => unknown) => {
      try {
        make();
      } catch (err) {
        expect(err).toBeInstanceOf(IpvsValidationError);
        return (err as IpvsValidationError).field;
      }
      return null;
    };
    expect(fields(() => new VrrpMachine(good as never, { send: transport.send.bind(transport), onAdvert: transport.onAdvert.bind(transport) } as never, host, clock))).toBe('transport.onDrop');
    expect(fields(() => new VrrpMachine(good as never, { ...transport, send: transport.send, onAdvert: transport.onAdvert, onDrop: transport.onDrop, drain: 1 } as never, host, clock))).toBe('transport.drain');
    expect(fields(() => new VrrpMachine(good as never, transport, { becomeMaster: host.becomeMaster } as never, clock))).toBe('effects.leaveMaster');
    expect(fields(() => new VrrpMachine(good as never, transport, host, { now: () => 0 } as never))).toBe('clock.setTimeout');
    const m = new VrrpMachine({ ...good, family: 'inet', track: [{ name: 'x', weight: -1 }] }, transport, host, clock);
    expect(fields(() => m.setTracked('x', 0 as never))).toBe('up');
    expect(fields(() => m.setTracked(1 as never, true))).toBe('name');
    expect(m.priority).toBe(100);
  });

  it('the constructor refuses bad options before touching the transport', () => {
    const clock = new FakeClock();
    let subscribed = false;
    const transport = { send: async () => {}, onAdvert: () => (subscribed = true), onDrop: () => {}, close: async () => {} };
    expect(() => new VrrpMachine({ ...good, family: 'inet', vrid: 0 } as never, transport, new FakeHost(clock), clock)).toThrow(IpvsValidationError);
    expect(subscribed).toBe(false);
  });
});
