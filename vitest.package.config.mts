import { defineConfig } from 'vitest/config';

// The npm package as users get it: packed, installed without a compiler, loaded
// from CommonJS, ESM and TypeScript (npm run test:package). No kernel needed.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
