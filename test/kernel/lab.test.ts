/**
 * The lab's seed clusters as kernel tests: NAT, DR and TUN with real HTTP
 * traffic, and the scheduler checks. Each scenario builds and tears down its
 * own namespaces; every check it reports must pass.
 */
import { describe, expect, it } from 'vitest';
import { requireIpvs } from '../helpers/kernel';

describe('lab scenarios', async () => {
  const { SCENARIOS } = await import('../../lab/scenarios.mjs');
  // health's checks are times: it runs alone, in test/kernel-timed/lab-health.test.ts.
  // The failover pairs other than node-ipvs's own check keepalived too (failover-keepalived is the
  // reference, the mixed pairs and the comparisons run keepalived beside the agent) or repeat the
  // node-ipvs pair with another sync plan: `npm run lab` runs them (docs/lab.md). failover-node-ipvs
  // runs here: two agents elect, take over on SIGKILL, link down and up, and keep the held connections.
  const NOT_HERE = new Set(['health', 'failover-keepalived', 'failover-follow', 'failover-mixed', 'failover-mixed-reverse',
    'failover-compare', 'failover-compare-delay']);
  const run = async (name: string) => {
    await requireIpvs();
    const result = await SCENARIOS[name]();
    const failed = result.checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what} (${detail})`);
    expect(failed).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(1);
  };
  const LONG = new Set(['failover-node-ipvs']);
  it.each(Object.keys(SCENARIOS).filter((name) => !NOT_HERE.has(name) && !LONG.has(name)))('%s', run, 120_000);
  // 200 connections held through four events: 75-100 s alone in the sandbox (6 runs).
  it('failover-node-ipvs', () => run('failover-node-ipvs'), 240_000);
});
