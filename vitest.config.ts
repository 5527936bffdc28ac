import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The load soak runs on its own afterwards (npm run soak), with nothing else on the cores.
    exclude: ['test/soak/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // One module graph per worker, not per file: importing the app (Fastify, Kysely, TypeBox,
    // SimpleWebAuthn) anew for each of ~70 files cost more than a minute of the two cores. Safe
    // because no test file mocks modules or changes process-wide state: each file builds its own
    // app, database and clock (test/support/harness.ts).
    isolate: false,
    // Two cores: argon2 and Chromium are CPU-bound, so more workers only add contention.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
