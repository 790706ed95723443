/**
 * The pure parts: one server's rise/fall state machine (properties over any sequence of results),
 * the quorum's hysteresis, and healthy()'s sorry-server forwarding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { healthyTable, type ServiceView } from '../../lib/health/healthy';
import { QuorumState } from '../../lib/health/quorum';
import { ServerState } from '../../lib/health/server';
import { checkQuorumSpec } from '../../lib/health/spec';
import type { DesiredTable } from '../../lib';

describe('ServerState', () => {
  const settings = fc.record({ rise: fc.integer({ min: 1, max: 5 }), fall: fc.integer({ min: 1, max: 5 }), alpha: fc.boolean() });

  it('changes state only after rise good / fall failed checks in a row (a first good check with alpha: at once), and each change flips it', () => {
    fc.assert(fc.property(settings, fc.array(fc.boolean(), { maxLength: 60 }), ({ rise, fall, alpha }, results) => {
      const s = new ServerState({ type: 'tcp', rise, fall, alpha }, 3, 0);
      expect(s.state).toBe(alpha ? 'down' : 'up');
      let state = s.state;
      for (const [i, ok] of results.entries()) {
        const change = s.record({ ok, reason: ok ? 'good' : 'bad' }, i + 1);
        const tail = results.slice(0, i + 1);
        const runOf = (v: boolean) => tail.length - 1 - tail.map((r) => r === v).lastIndexOf(false);
        if (change) {
          expect(change.from).toBe(state);
          expect(change.to).toBe(ok ? 'up' : 'down');
          expect((i === 0 && ok) || runOf(ok) >= (ok ? rise : fall)).toBe(true);
          expect(s.since).toBe(i + 1);
          state = change.to;
        } else {
          // No change although the result disagrees: only while the run is still short.
          if ((ok && state === 'down') || (!ok && state === 'up')) expect(!(i === 0 && ok) && runOf(ok) < (ok ? rise : fall)).toBe(true);
        }
        expect(s.state).toBe(state);
        expect(s.weight).toBe(state === 'up' ? 3 : 0);
        expect(s.reason).toBe(ok ? 'good' : 'bad');
      }
    }));
  });

  it('takes a dynamic weight from a good check and goes back to the configured one', () => {
    const s = new ServerState({ type: 'exec', rise: 1, fall: 1, alpha: false }, 4, 0);
    s.record({ ok: true, reason: 'exit 12 (weight 10)', weight: 10 }, 1);
    expect(s.weight).toBe(10);
    s.reconfigure(6, true);
    expect([s.weight, s.configuredWeight]).toEqual([10, 6]);
    s.record({ ok: true, reason: 'exit 0' }, 2);
    expect(s.weight).toBe(6);
    s.record({ ok: false, reason: 'exit 1' }, 3);
    expect(s.weight).toBe(0);
  });

  it("type 'none' starts up, even with alpha", () => {
    expect(new ServerState({ type: 'none', rise: 1, fall: 1, alpha: true }, 1, 0)).toMatchObject({ state: 'up', reason: 'not checked' });
  });
});

describe('QuorumState', () => {
  it('never flaps inside the hysteresis band', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.nat(9), fc.array(fc.nat(20), { maxLength: 50 }), (min, h, sums) => {
      const hysteresis = Math.min(h, min - 1);
      const q = new QuorumState(checkQuorumSpec({ min, hysteresis }, 'q'), 20);
      for (const sum of sums) {
        const was = q.up;
        const changed = q.update(sum);
        expect(changed).toBe(was !== q.up);
        if (changed) expect(q.up ? sum >= min + hysteresis : sum < min - hysteresis).toBe(true);
        if (sum >= min + hysteresis) expect(q.up).toBe(true);
        if (sum < min - hysteresis) expect(q.up).toBe(false);
      }
    }));
  });
});

describe('healthy(): the sorry server', () => {
  const svc = { protocol: 'tcp' as const, address: '203.0.113.10', port: 80 };
  const view = (extra: Record<string, unknown> = {}): Map<string, ServiceView> => new Map([[
    'tcp/203.0.113.10/80',
    { quorum: checkQuorumSpec({ sorryServer: { address: '198.51.100.99', port: 80 }, ...extra }, 'q'), quorumUp: false, servers: new Map() },
  ]]);
  const sorryOf = (desired: DesiredTable, v = view()) =>
    healthyTable(desired, v).table.services[0].destinations?.find((d) => d.destination.address === '198.51.100.99');

  it("takes the first destination's forwarding, or masq without destinations", () => {
    const routed: DesiredTable = { services: [{ service: svc, destinations: [{ destination: { address: '192.0.2.1', port: 80 }, options: { forwarding: 'route' } }] }] };
    expect(sorryOf(routed)).toEqual({ destination: { address: '198.51.100.99', port: 80 }, options: { forwarding: 'route', weight: 1 } });
    expect(sorryOf({ services: [{ service: svc }] })?.options?.forwarding).toBe('masq');
    expect(sorryOf(routed, view({ sorryServerForwarding: 'tunnel' }))?.options?.forwarding).toBe('tunnel');
  });

  it('uses masq when route could not reach the sorry server on another port', () => {
    const routed: DesiredTable = { services: [{ service: svc, destinations: [{ destination: { address: '192.0.2.1', port: 80 } }] }] };
    const v = new Map([['tcp/203.0.113.10/80', { quorum: checkQuorumSpec({ sorryServer: { address: '198.51.100.99', port: 8080 } }, 'q'), quorumUp: false, servers: new Map() }]]);
    expect(healthyTable(routed, v).table.services[0].destinations?.[1].options).toEqual({ forwarding: 'masq', weight: 1 });
  });

  it('keeps a sorry server the desired table lists with its options, and removes it while the quorum holds', () => {
    const listed: DesiredTable = { services: [{ service: svc, destinations: [{ destination: { address: '198.51.100.99', port: 80 }, options: { forwarding: 'masq', weight: 9 } }] }] };
    expect(sorryOf(listed)).toEqual({ destination: { address: '198.51.100.99', port: 80 }, options: { forwarding: 'masq', weight: 1 } });
    const up = view();
    (up.get('tcp/203.0.113.10/80') as { quorumUp: boolean }).quorumUp = true;
    const out = healthyTable(listed, up);
    expect(out.table.services[0].destinations).toEqual([]);
    expect(out.removed).toEqual([{ service: svc, destination: { address: '198.51.100.99', port: 80 } }]);
  });
});
