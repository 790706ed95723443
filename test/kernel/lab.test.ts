/**
 * The lab's seed clusters as kernel tests: NAT, DR and TUN with real HTTP
 * traffic, and the scheduler checks. Each scenario builds and tears down its
 * own namespaces; every check it reports must pass.
 */
import { describe, expect, it } from 'vitest';
import { requireIpvs } from '../helpers/kernel';

describe('lab scenarios', async () => {
  const { SCENARIOS } = await import('../../lab/scenarios.mjs');
  // health's and failover-node-ipvs's checks are times: they run alone, in test/kernel-timed.
  // The other failover pairs check keepalived too (failover-keepalived is the reference, the mixed
  // pairs and the comparisons run keepalived beside the agent) or repeat the node-ipvs pair with
  // another sync plan: `npm run lab` runs them (docs/lab.md).
  const NOT_HERE = new Set(['health', 'failover-node-ipvs', 'failover-keepalived', 'failover-follow', 'failover-mixed', 'failover-mixed-reverse',
    'failover-compare', 'failover-compare-delay']);
  const run = async (name: string) => {
    await requireIpvs();
    const result = await SCENARIOS[name]();
    const failed = result.checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what} (${detail})`);
    expect(failed).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(1);
  };
  it.each(Object.keys(SCENARIOS).filter((name) => !NOT_HERE.has(name)))('%s', run, 120_000);
});
