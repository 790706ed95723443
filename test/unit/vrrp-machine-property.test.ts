/**
 * The election's safety, by property: routers of random priorities, intervals, preempt settings
 * and bus latency, killed (silently, or with priority 0) and revived on random schedules. Once the
 * bus has been quiet for a Master_Down_Interval (at most 4 of the longest intervals, plus the
 * latency), exactly one running router is master, and it stays so. Ties, the owner, lost adverts
 * in flight and a stop while becomeMaster runs all occur in the generated runs.
 *
 * Quiet counts from the last event and from the end of every running router's preempt delay: a
 * returning preempting router takes over one Master_Down_Interval after its delay ends (docs/
 * failover.md), and a takeover has two masters for one bus latency, as RFC 5798 has it (§6.4.3: a
 * master leaves when the higher advert reaches it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lab } from './vrrp-machine-fakes';

const routerArb = fc.record({
  priority: fc.oneof(fc.integer({ min: 1, max: 254 }), fc.constantFrom(100, 255)),
  interval: fc.constantFrom(100, 500, 1000, 2000),
  preempt: fc.boolean(),
  preemptDelay: fc.constantFrom(0, 0, 3000),
  becomeDelay: fc.constantFrom(0, 0, 300),
});

const eventArb = fc.record({
  after: fc.integer({ min: 0, max: 6000 }),
  router: fc.nat(),
  action: fc.constantFrom('kill', 'stop', 'revive', 'revive'),
});

type RouterSpec = { priority: number; interval: number; preempt: boolean; preemptDelay: number; becomeDelay: number };
type Event = { after: number; router: number; action: 'kill' | 'stop' | 'revive' };

/** One generated run: start the routers, play the events, then check the election once quiet. */
async function election(specs: RouterSpec[], events: Event[], latency: number): Promise<void> {
  const lab = new Lab(latency);
  for (const { becomeDelay, ...spec } of specs) {
    // An owner cannot be no-preempt.
    const r = lab.add({ ...spec, preempt: spec.priority === 255 || spec.preempt });
    r.host.becomeDelay = becomeDelay;
  }
  const alive = new Set(lab.routers);
  for (const r of lab.routers) r.machine.start();
  /** When each router last started: its preempt delay runs from there. */
  const started = new Map(lab.routers.map((r) => [r, 0]));
  for (const e of events) {
    await lab.clock.advance(e.after);
    const r = lab.routers[e.router % lab.routers.length];
    if (e.action === 'revive') {
      if (!alive.has(r)) {
        lab.revive(r);
        started.set(r, lab.clock.now());
      }
      alive.add(r);
    } else if (alive.has(r)) {
      alive.delete(r);
      if (e.action === 'kill') lab.kill(r);
      else void r.machine.stop();
    }
  }
  // A preempt delay still running is an event to come: it can end in a takeover.
  const holdsEnd = [...alive].filter((r) => r.machine.options.preempt).map((r) => started.get(r)! + r.machine.options.preemptDelay);
  await lab.clock.runUntil(Math.max(lab.clock.now(), ...holdsEnd));
  const longest = Math.max(...specs.map((s) => s.interval));
  await lab.clock.advance(4 * longest + 4 * latency + 300);
  // Checked at every 50 ms for four more Master_Down_Intervals: never two, never none.
  for (let i = 0; i < (16 * longest) / 50; i++) {
    const masters = lab.masters();
    expect(masters.length).toBe(alive.size ? 1 : 0);
    await lab.clock.advance(50);
  }
  for (const r of lab.routers) if (!alive.has(r)) expect(r.machine.state).toBe('initialize');
  // The master holds its addresses (its becomeMaster ran and no leaveMaster since); no one else does.
  for (const r of lab.routers) expect(r.host.holding).toBe(r.machine.state === 'master');
}

const RUNS = Number(process.env.VRRP_PROPERTY_RUNS ?? 150);

describe('VRRP election (property)', () => {
  it('after a quiet Master_Down_Interval there is exactly one master among the running routers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(routerArb, { minLength: 2, maxLength: 4 }),
        fc.array(eventArb, { maxLength: 12 }),
        fc.constantFrom(0, 0, 5, 40),
        election,
      ),
      { numRuns: RUNS },
    );
    // A run takes 11-13 ms of a busy core: 20,000 of them need more than the 2 minutes 150 get.
  }, Math.max(120_000, RUNS * 25));

  it('a counterexample (seed -118558197): a router returning with a preempt delay takes over after the schedule ends', async () => {
    // Router 1 returns at 4,329 ms with a 3 s delay over router 2 (priority 63, master since
    // router 1 was killed): it preempts at 7,648.749 ms, past a quiet window counted from its return.
    await election(
      [
        { priority: 1, interval: 500, preempt: false, preemptDelay: 0, becomeDelay: 0 },
        { priority: 81, interval: 100, preempt: true, preemptDelay: 3000, becomeDelay: 0 },
        { priority: 63, interval: 100, preempt: false, preemptDelay: 0, becomeDelay: 0 },
      ],
      [{ after: 332, router: 89176486, action: 'kill' }, { after: 3336, router: 0, action: 'kill' }, { after: 661, router: 69377548, action: 'revive' }],
      5,
    );
  });
});
