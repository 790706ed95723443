import { defineConfig } from 'vitest/config';

// Runs in a sandbox kernel booted without the ip_vs module (npm run test:kernel).
export default defineConfig({
  test: {
    include: ['test/kernel-noipvs/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
