import { defineConfig } from 'vitest/config';

// Kernel tests whose figures are times (the health lab: detection, recovery, drift repair in
// milliseconds). The sandbox kernel has one CPU: beside another test file, the agent's timers and
// checks wait for it by seconds. These run in a sandbox of their own, one file at a time.
export default defineConfig({
  test: {
    include: ['test/kernel-timed/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
