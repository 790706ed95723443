import { defineConfig } from 'vitest/config';

// Unit tests: no kernel, no root. The native addon must be built (npm run build).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
  },
});
