/**
 * The lab's health scenario (the director agent beside keepalived) as a kernel test, alone in its
 * sandbox (vitest.timed.config.mts): its checks are times, which another test file sharing the
 * guest's one CPU would stretch. Every check it reports must pass.
 */
import { expect, it } from 'vitest';
import { requireIpvs } from '../helpers/kernel';

it('lab scenario: health', async () => {
  await requireIpvs();
  const { SCENARIOS } = await import('../../lab/scenarios.mjs');
  const result = await SCENARIOS.health();
  const failed = result.checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what} (${detail})`);
  expect(failed).toEqual([]);
  expect(result.checks.length).toBeGreaterThan(1);
});
