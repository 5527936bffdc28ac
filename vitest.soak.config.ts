import { defineConfig } from 'vitest/config';

// `npm run soak`: the bounded load soak, one file at a time so nothing else competes for the
// two cores while it measures. `npm test` runs it after the main suite.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
