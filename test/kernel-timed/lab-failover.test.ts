/**
 * The lab's failover scenario for two director agents (failover-node-ipvs: election, SIGKILL, link
 * down, failbacks, 200 held connections) as a kernel test, alone in its sandbox
 * (vitest.timed.config.mts): its checks are times, and its traffic fills the guest's one CPU for two
 * minutes, which made process starts in a file running beside it take tens of seconds.
 * Every check it reports must pass.
 */
import { expect, it } from 'vitest';
import { requireIpvs } from '../helpers/kernel';

// 200 connections held through four events: 75-100 s alone in the sandbox (6 runs).
it('lab scenario: failover-node-ipvs', async () => {
  await requireIpvs();
  const { SCENARIOS } = await import('../../lab/scenarios.mjs');
  const result = await SCENARIOS['failover-node-ipvs']();
  const failed = result.checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what} (${detail})`);
  expect(failed).toEqual([]);
  expect(result.checks.length).toBeGreaterThan(1);
});
