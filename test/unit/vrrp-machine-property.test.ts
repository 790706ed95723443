/**
 * The election's safety, by property: routers of random priorities, intervals, preempt settings
 * and bus latency, killed (silently, or with priority 0) and revived on random schedules. Once the
 * bus has been quiet for a Master_Down_Interval (at most 4 of the longest intervals, plus the
 * latency), exactly one running router is master, and it stays so. Ties, the owner, lost adverts
 * in flight and a stop while becomeMaster runs all occur in the generated runs.
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

describe('VRRP election (property)', () => {
  it('after a quiet Master_Down_Interval there is exactly one master among the running routers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(routerArb, { minLength: 2, maxLength: 4 }),
        fc.array(eventArb, { maxLength: 12 }),
        fc.constantFrom(0, 0, 5, 40),
        async (specs, events, latency) => {
          const lab = new Lab(latency);
          for (const { becomeDelay, ...spec } of specs) {
            // An owner cannot be no-preempt.
            const r = lab.add({ ...spec, preempt: spec.priority === 255 || spec.preempt });
            r.host.becomeDelay = becomeDelay;
          }
          const alive = new Set(lab.routers);
          for (const r of lab.routers) r.machine.start();
          for (const e of events) {
            await lab.clock.advance(e.after);
            const r = lab.routers[e.router % lab.routers.length];
            if (e.action === 'revive') {
              if (!alive.has(r)) lab.revive(r);
              alive.add(r);
            } else if (alive.has(r)) {
              alive.delete(r);
              if (e.action === 'kill') lab.kill(r);
              else void r.machine.stop();
            }
          }
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
        },
      ),
      { numRuns: Number(process.env.VRRP_PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);
});
