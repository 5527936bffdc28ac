import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, createTestEnvironment, totpCode, type TestEnvironment } from '../support/harness.ts';
import { call, startTestServer, type TestServerInstance } from '../support/processes.ts';
import { seedTOTPAccounts, type SeededAccount } from '../support/seed.ts';

// A bounded load soak against a real server process: password step plus TOTP second step over
// several hundred accounts, pass after pass, then the session is used and logged out. Zero 5xx
// allowed, and the server's heap is measured after full garbage collections (the process runs
// with --expose-gc; the test asks over IPC, see test/support/test-server.ts). Each pass moves the
// server's clock one TOTP step on, so every account has an unused code without anyone waiting.
// Numbers: docs/benchmarks.md ("Load soak").

const ACCOUNTS = Number(process.env.TWOFOLD_SOAK_ACCOUNTS ?? 300);
const SOAK_MS = Number(process.env.TWOFOLD_SOAK_SECONDS ?? 20) * 1000;
const CONCURRENCY = 8;
const HEAP_SAMPLE_EVERY = 100;
const STEP_MS = 30_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

describe.each(DIALECTS)('load soak (%s)', (dialect) => {
  let environment: TestEnvironment;
  let server: TestServerInstance;

  afterAll(async () => {
    await server?.stop();
    await environment?.dropDatabase();
  });

  it(`logs ${ACCOUNTS} accounts in with a second factor for ${SOAK_MS / 1000} s: no 5xx, heap flat after GC`, async () => {
    environment = createTestEnvironment(dialect);
    // Seeded before the server starts (it creates the admin on its first start; the seed does not need it).
    const accounts: SeededAccount[] = await seedTOTPAccounts(environment, ACCOUNTS, 'soak');
    server = await startTestServer(environment.env, { exposeGC: true });
    let offsetMs = 0;
    const serverNow = () => Date.now() + offsetMs;

    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const latencies: number[] = [];
    const heapSamples: number[] = [];
    let done = 0;

    async function logInOnce(account: SeededAccount): Promise<void> {
      const started = performance.now();
      const first = await call(server.url, 'POST', '/api/v1/auth/login', { body: { username: account.username, password: account.password, client: 'mobile' } });
      count(first.status);
      if (first.status !== 200) return;
      const second = await call(server.url, 'POST', '/api/v1/auth/login/second-factor', {
        body: { challengeId: first.json.challengeId, method: 'totp', code: totpCode(account.secret, 0, serverNow()) },
      });
      count(second.status);
      latencies.push(performance.now() - started);
      if (second.status !== 200) return;
      const token = String(second.json.token);
      count((await call(server.url, 'GET', '/api/v1/me', { token })).status);
      count((await call(server.url, 'POST', '/api/v1/auth/logout', { body: {}, token })).status);
    }

    // Accounts take turns; the clock moves one TOTP step on every half round, so an account's
    // next turn always falls on a step it has not used (the server accepts each step once).
    const advanceEvery = Math.max(1, Math.floor(ACCOUNTS / 2));
    let next = 0;
    let soakStarted = 0;
    let baseline: { heapUsed: number; rss: number } | null = null;
    const warmup = Math.min(50, ACCOUNTS);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        // Every account at least once after the warm-up, then until the time is up.
        while (next < warmup || next < warmup + ACCOUNTS || Date.now() - soakStarted < SOAK_MS) {
          const index = next++;
          if (index > 0 && index % advanceEvery === 0) {
            offsetMs += STEP_MS;
            await server.setClockOffset(offsetMs);
          }
          await logInOnce(accounts[index % ACCOUNTS]!);
          done += 1;
          if (done === warmup) {
            // The warm-up filled caches and the JIT; the heap after it is the baseline.
            baseline = await server.heap();
            soakStarted = Date.now();
          } else if (done > warmup && done % HEAP_SAMPLE_EVERY === 0) heapSamples.push((await server.heap()).heapUsed);
        }
      }),
    );
    const soakSeconds = (Date.now() - soakStarted) / 1000;
    const final = await server.heap();
    const passes = (done - warmup) / ACCOUNTS;

    latencies.sort((a, b) => a - b);
    const summary = {
      dialect,
      accounts: ACCOUNTS,
      logins: done,
      roundsOverAllAccounts: Math.round(passes * 10) / 10,
      soakSeconds: Math.round(soakSeconds),
      loginsPerSecond: Math.round(((done - warmup) / soakSeconds) * 10) / 10,
      p50Ms: Math.round(percentile(latencies, 0.5)),
      p95Ms: Math.round(percentile(latencies, 0.95)),
      heapBaselineMB: mb(baseline!.heapUsed),
      heapFinalMB: mb(final.heapUsed),
      heapSamplesMB: heapSamples.map(mb),
      rssMB: Math.round(final.rss / 1048576),
      statuses: Object.fromEntries(statuses),
    };
    console.log(`load soak: ${JSON.stringify(summary)}`);

    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    // Every login of every pass went through, each with its four answers.
    expect(Object.fromEntries(statuses)).toEqual({ 200: done * 4 });
    expect(done).toBeGreaterThanOrEqual(warmup + ACCOUNTS);
    // Flat: after the same work pass after pass, the heap after GC ends near where it started.
    // At least 300 logins after the baseline: a leak of 7 KiB per login (a session or challenge kept in memory) exceeds this.
    const growth = final.heapUsed - baseline!.heapUsed;
    expect(growth, `heap grew ${Math.round(growth / 1024)} KiB: ${JSON.stringify(summary)}`).toBeLessThan(Math.max(2 * 1048576, baseline!.heapUsed * 0.05));
  });
});
