import { defineConfig } from 'vitest/config';

// Kernel tests: real IPVS. Run inside the sandbox kernel (npm run test:kernel)
// or as root on a host with IPVS. Each file makes its own network namespace.
export default defineConfig({
  test: {
    include: ['test/kernel/**/*.test.ts'],
    pool: 'forks',
    // The guest has one CPU: two workers overlap I/O waits without thrashing.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
