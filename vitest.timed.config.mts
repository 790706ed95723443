import { defineConfig } from 'vitest/config';

// Kernel tests whose figures are times (the health lab: detection, recovery, drift repair; failover:
// takeover within Master_Down_Interval or Skew_Time, preempt delays). The sandbox kernel has one
// CPU: beside another test file, the agent's timers and checks wait for it by seconds, and the
// failover lab's 200 held connections starve a file beside it (a node process took 19 s to start).
// These run in a sandbox of their own, one file at a time.
export default defineConfig({
  test: {
    include: ['test/kernel-timed/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
