import { defineConfig } from 'vitest/config';

// Unit tests: no kernel, no root. The native addon must be built (npm run build).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
    // A timeout here only guards against a hang: property tests of 20,000 cases took 29 s on a
    // machine busy with two sandbox kernels, past vitest's default of 5 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
