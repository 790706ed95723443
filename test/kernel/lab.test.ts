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
  // failover-keepalived checks keepalived alone (the reference pair, 2-3 minutes of 200 held
  // connections): it joins the timed suite with the node-ipvs pair it is the baseline for.
  const NOT_HERE = new Set(['health', 'failover-keepalived']);
  it.each(Object.keys(SCENARIOS).filter((name) => !NOT_HERE.has(name)))('%s', async (name) => {
    await requireIpvs();
    const result = await SCENARIOS[name]();
    const failed = result.checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what} (${detail})`);
    expect(failed).toEqual([]);
    expect(result.checks.length).toBeGreaterThan(1);
  }, 120_000);
});
