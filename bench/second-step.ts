import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBase32 } from '../src/core/base32.ts';
import { generateTOTP, timeStepAt } from '../src/core/totp.ts';
import { ADMIN_PASSWORD, ServerProcess, USER_PASSWORD, benchServerEnv, dropSchema, expectCall, inBatches, loginToken, pendingCleanups, type Dialect } from './http.ts';
import { summarizeRound, type RoundResult } from './load.ts';
import { round } from './stats.ts';

/**
 * Issue 14, target 1: the second step (a prepared challenge and a right TOTP code → a session)
 * against a bare Fastify route doing only its cryptography (bench/bare-second-step.mjs), at 1, 16
 * and 64 concurrent clients, both in this run. Every challenge is made honestly through the real
 * password step before the clock starts, and every code is right and used once: the attempt slot,
 * the guarded single-use updates, the replay guard and the audit write all run on every request.
 *
 * An app accepts each step once and only in increasing order, and the window is ±1 step, so an
 * account answers at most three challenges per clock position (steps -1, 0, +1, in that order,
 * by one worker). Between rounds the server's clock moves 4 steps on (the bench server's clock
 * seam, never the shipped server's), so the same accounts serve every round.
 */
export interface SecondStepRow {
  concurrency: number;
  requests: number;
  real: RoundResult;
  bare: RoundResult;
  /** real req/s ÷ bare req/s */
  throughputRatio: number;
  /** real p99 ÷ bare p99 */
  p99Ratio: number;
}

export interface SecondStepResults {
  dialect: Dialect;
  accounts: number;
  rows: SecondStepRow[];
}

const BARE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-second-step.mjs');
const STEP_MS = 30_000;
const CODES_PER_ACCOUNT = 3;

export interface TOTPAccount {
  username: string;
  key: Uint8Array;
}

export async function createTOTPAccounts(base: string, count: number): Promise<TOTPAccount[]> {
  const admin = await loginToken(base, 'admin', ADMIN_PASSWORD);
  await expectCall(base, 'POST', '/api/v1/me/reauth', 200, { token: admin, body: { password: ADMIN_PASSWORD } });
  return inBatches(count, 4, async (i) => {
    const username = `second-step-${i}`;
    await expectCall(base, 'POST', '/api/v1/admin/users', 201, { token: admin, body: { username, password: USER_PASSWORD } });
    const token = await loginToken(base, username, USER_PASSWORD);
    await expectCall(base, 'POST', '/api/v1/me/reauth', 200, { token, body: { password: USER_PASSWORD } });
    const setup = await expectCall(base, 'POST', '/api/v1/me/two-factor/totp/setup', 200, { token, body: {} });
    const key = decodeBase32(String(setup.secret));
    if (key === null) throw new Error('the setup secret is not Base32');
    await expectCall(base, 'POST', '/api/v1/me/two-factor/totp/enable', 200, { token, body: { code: generateTOTP(key, Date.now()) } });
    return { username, key };
  });
}

export interface Job {
  url: string;
  body: string;
  /** What a right answer says. */
  expect: (status: number, json: { status?: string; token?: string }) => boolean;
}

/** Each worker runs its own queue in order; latencies and wall time over all of them. */
export async function runQueues(queues: Job[][]): Promise<RoundResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    queues.map(async (queue) => {
      for (const job of queue) {
        const began = performance.now();
        try {
          const response = await fetch(job.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: job.body });
          const json = (await response.json()) as { status?: string; token?: string };
          if (!job.expect(response.status, json)) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - began);
      }
    }),
  );
  return summarizeRound(latencies, errors, start);
}

/**
 * `requests` second steps ready to send, in `concurrency` queues: a fresh clock position 4 steps
 * past `offsetMs` (every step of the last round is behind), challenges made through the real
 * password step (not timed), and the round started early in a step so that steps -1..+1 of its
 * start stay in the window. Returns the queues and the clock offset now in force.
 */
export async function prepareSecondSteps(
  server: ServerProcess,
  accounts: TOTPAccount[],
  options: { requests: number; concurrency: number; offsetMs: number },
): Promise<{ queues: Job[][]; offsetMs: number; tokens: string[] }> {
  const base = server.url;
  const used = accounts.slice(0, Math.ceil(options.requests / CODES_PER_ACCOUNT));
  if (used.length * CODES_PER_ACCOUNT < options.requests) throw new Error(`${options.requests} second steps need ${Math.ceil(options.requests / CODES_PER_ACCOUNT)} accounts`);
  let offsetMs = options.offsetMs + 4 * STEP_MS;
  await server.setClockOffset(offsetMs);
  const challengeIds = await inBatches(used.length * CODES_PER_ACCOUNT, 4, async (i) => {
    const json = await expectCall(base, 'POST', '/api/v1/auth/login', 200, {
      body: { username: used[Math.floor(i / CODES_PER_ACCOUNT)]!.username, password: USER_PASSWORD, client: 'desktop' },
    });
    if (json.status !== 'second_factor_required') throw new Error(`expected a challenge, got ${JSON.stringify(json)}`);
    return String(json.challengeId);
  });
  let now = await server.setClockOffset(offsetMs);
  if (now % STEP_MS > 2_000) {
    offsetMs += STEP_MS - (now % STEP_MS) + 200;
    now = await server.setClockOffset(offsetMs);
  }
  const step = timeStepAt(now);
  const tokens: string[] = [];
  const queues: Job[][] = Array.from({ length: options.concurrency }, () => []);
  used.forEach((account, a) => {
    for (let d = 0; d < CODES_PER_ACCOUNT && a * CODES_PER_ACCOUNT + d < options.requests; d++) {
      const body = JSON.stringify({ challengeId: challengeIds[a * CODES_PER_ACCOUNT + d], method: 'totp', code: generateTOTP(account.key, (step - 1 + d) * STEP_MS) });
      queues[a % options.concurrency]!.push({
        url: `${base}/api/v1/auth/login/second-factor`,
        body,
        expect: (status, json) => {
          if (typeof json.token === 'string') tokens.push(json.token);
          return status === 200 && json.status === 'ok';
        },
      });
    }
  });
  return { queues, offsetMs, tokens };
}

export async function runSecondStepBenchmarks(
  dialect: Dialect,
  options: { postgresUrl: string; quick: boolean },
  log: (line: string) => void,
): Promise<SecondStepResults> {
  const levels = [1, 16, 64];
  const requestsAt = (concurrency: number): number => (options.quick ? 60 : concurrency === 1 ? 300 : 1_200);
  const accountCount = Math.ceil(Math.max(...levels.map(requestsAt)) / CODES_PER_ACCOUNT);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-bench-'));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  let server: ServerProcess | null = null;
  let bare: ServerProcess | null = null;
  const cleanup = async (): Promise<void> => {
    await Promise.all([server?.stop(), bare?.stop()]);
    if (dialect === 'postgres') await dropSchema(options.postgresUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  };
  pendingCleanups.add(cleanup);
  try {
    server = await ServerProcess.start(benchServerEnv(dialect, dataDir, schema, options.postgresUrl));
    bare = await ServerProcess.start({}, BARE_SCRIPT);
    const base = server.url;
    const accounts = await createTOTPAccounts(base, accountCount);
    log(`  ${dialect}: ${accounts.length} accounts with an authenticator app ready`);

    let offsetMs = 0;
    const rows: SecondStepRow[] = [];
    // The 1-client level runs twice: the first time only warms up (JIT, pools, page cache).
    for (const [index, concurrency] of [levels[0]!, ...levels].entries()) {
      const requests = requestsAt(concurrency);
      const prepared = await prepareSecondSteps(server, accounts, { requests, concurrency, offsetMs });
      offsetMs = prepared.offsetMs;
      const realQueues = prepared.queues;
      const bareQueues = prepared.queues.map((queue) =>
        queue.map((job): Job => ({ url: `${bare!.url}/second-step`, body: job.body, expect: (status) => status === 200 })),
      );
      // The bare route runs before and after the real one; its figure is the mean of both.
      const bareBefore = await runQueues(bareQueues);
      // TWOFOLD_BENCH_CPU_PROF=<folder>: a CPU profile of the server per measured level.
      const profileDir = process.env.TWOFOLD_BENCH_CPU_PROF;
      const profileFile = profileDir === undefined || index === 0 ? undefined : path.join(profileDir, `second-step-${dialect}-${concurrency}.cpuprofile`);
      const real = await server.profiled(profileFile, () => runQueues(realQueues));
      const bareAfter = await runQueues(bareQueues);
      if (index === 0) continue;
      const bareMean: RoundResult = {
        requests: bareBefore.requests + bareAfter.requests,
        errors: bareBefore.errors + bareAfter.errors,
        seconds: round(bareBefore.seconds + bareAfter.seconds, 3),
        reqPerSec: round((bareBefore.reqPerSec + bareAfter.reqPerSec) / 2, 1),
        p50Ms: round((bareBefore.p50Ms + bareAfter.p50Ms) / 2),
        p95Ms: round((bareBefore.p95Ms + bareAfter.p95Ms) / 2),
        p99Ms: round((bareBefore.p99Ms + bareAfter.p99Ms) / 2),
      };
      const row: SecondStepRow = {
        concurrency,
        requests,
        real,
        bare: bareMean,
        throughputRatio: round(real.reqPerSec / bareMean.reqPerSec, 2),
        p99Ratio: round(real.p99Ms / bareMean.p99Ms, 2),
      };
      rows.push(row);
      log(
        `  ${dialect}: second step at ${String(concurrency).padStart(2)} clients ${String(real.reqPerSec).padStart(7)} req/s p99 ${real.p99Ms} ms` +
          ` | bare ${bareMean.reqPerSec} req/s p99 ${bareMean.p99Ms} ms | ${row.throughputRatio}x, p99 ${row.p99Ratio}x, ${real.errors} errors`,
      );
    }
    return { dialect, accounts: accounts.length, rows };
  } finally {
    pendingCleanups.delete(cleanup);
    await cleanup();
  }
}
