import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { decodeBase32 } from '../src/core/base32.ts';
import { generateTOTP } from '../src/core/totp.ts';
import { runLoad, type LoadResult } from './load.ts';
import type { ChildMessage, MemorySnapshot, ParentMessage } from './server-messages.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface DialectResults {
  dialect: Dialect;
  startupMs: number;
  /** Accounts created before the load: one admin, the plain ones and the TOTP ones. */
  accounts: number;
  loads: LoadResult[];
  memory: { afterStartup: MemorySnapshot; afterLoad: MemorySnapshot; afterLoadGC: MemorySnapshot };
  /** The server's event-loop delay while Argon2id logins ran at full rate (both login paths). */
  loopDelayDuringLogins: { p50Ms: number; p99Ms: number; maxMs: number };
}

export interface HTTPOptions {
  concurrency: number;
  rounds: number;
  /** Length of a round of the cheap paths (/healthz, /me). */
  fastRoundMs: number;
  /** Length of a round of the Argon2-bound login paths. */
  loginRoundMs: number;
  maxRequestsPerRound: number;
  postgresUrl: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_SCRIPT = path.join(REPO_ROOT, 'bench/server-process.mjs');
export const ADMIN_PASSWORD = 'bench-admin-password';
export const USER_PASSWORD = 'bench-user-password';
/** Users are set up this many at a time: each creation and login is an Argon2 run. */
const SETUP_CONCURRENCY = 4;

/** The server child, driven over IPC. */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #nextId = 0;
  url = '';
  startupMs = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** `script` is the server child: the service (default) or bench/bare-second-step.mjs. */
  static async start(env: Record<string, string>, script = SERVER_SCRIPT): Promise<ServerProcess> {
    // The compiled service, as it ships (no tsx in the server process): build dist/ if it is stale.
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.mjs'), '--if-stale', '--quiet'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const child = spawn(process.execPath, ['--expose-gc', script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    const ready = await new Promise<ChildMessage & { type: 'ready' }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30_000);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`the server failed to start:\n${message.message}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code} before it was ready`));
      });
    });
    server.url = ready.url;
    server.startupMs = ready.startupMs;
    return server;
  }

  #send(message: ParentMessage): void {
    this.#child.send(message);
  }

  /** Sends a request and waits for the answer of the same id. */
  #ask<T extends ChildMessage['type']>(type: T, message: (id: number) => ParentMessage): Promise<Extract<ChildMessage, { type: T }>> {
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      const onMessage = (reply: ChildMessage) => {
        if (reply.type === type && 'id' in reply && reply.id === id) {
          this.#child.off('message', onMessage);
          resolve(reply as Extract<ChildMessage, { type: T }>);
        }
      };
      this.#child.on('message', onMessage);
      this.#send(message(id));
    });
  }

  async memory(gc: boolean): Promise<MemorySnapshot> {
    return (await this.#ask('memory', (id) => ({ type: 'memory', gc, id }))).memory;
  }

  /** Moves the server's clock to the real time plus `offsetMs`; resolves to the server's new now. */
  async setClockOffset(offsetMs: number): Promise<number> {
    return (await this.#ask('clock', (id) => ({ type: 'set-clock-offset', offsetMs, id }))).now;
  }

  /**
   * A V8 CPU profile of the server while `work` runs, written to `file` (see
   * TWOFOLD_BENCH_CPU_PROF in bench/second-step.ts); only the measured part, not the set-up.
   */
  async profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
    if (file === undefined) return work();
    await this.#ask('profiled', (id) => ({ type: 'profile', action: 'start', id }));
    try {
      return await work();
    } finally {
      await this.#ask('profiled', (id) => ({ type: 'profile', action: 'stop', file, id }));
    }
  }

  /** Event-loop delay in the server since the last reset (monitorEventLoopDelay, 5 ms resolution). */
  async loopDelay(reset: boolean): Promise<{ p50Ms: number; p99Ms: number; maxMs: number }> {
    const { p50Ms, p99Ms, maxMs } = await this.#ask('loop-delay', (id) => ({ type: 'loop-delay', reset, id }));
    return { p50Ms, p99Ms, maxMs };
  }

  resetPeak(): void {
    this.#send({ type: 'reset-peak' });
  }

  /** Graceful stop; killed if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#send({ type: 'stop' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

async function call(
  baseUrl: string,
  method: string,
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function expectCall(
  baseUrl: string,
  method: string,
  url: string,
  status: number,
  options: { body?: unknown; token?: string } = {},
): Promise<Record<string, unknown>> {
  const response = await call(baseUrl, method, url, options);
  if (response.status !== status) throw new Error(`${method} ${url}: expected ${status}, got ${response.status} ${JSON.stringify(response.json)}`);
  return response.json;
}

export async function loginToken(baseUrl: string, username: string, password: string): Promise<string> {
  const json = await expectCall(baseUrl, 'POST', '/api/v1/auth/login', 200, { body: { username, password, client: 'desktop' } });
  if (json.status !== 'ok' || typeof json.token !== 'string') throw new Error(`login of ${username} gave no token`);
  return json.token;
}

export async function inBatches<T>(count: number, size: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += size) {
    const batch = Array.from({ length: Math.min(size, count - start) }, (_, i) => task(start + i));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/**
 * One user per load worker, for each login path: the per-username attempt limit (10) counts
 * reservations in flight, so 16 parallel logins of one name would be refused as a burst.
 */
async function createUsers(baseUrl: string, count: number): Promise<{ plainNames: string[]; plainTokens: string[]; totpNames: string[] }> {
  const admin = await loginToken(baseUrl, 'admin', ADMIN_PASSWORD);
  // Administrative changes need the administrator's Password window first.
  await expectCall(baseUrl, 'POST', '/api/v1/me/reauth', 200, { token: admin, body: { password: ADMIN_PASSWORD } });
  const plainNames = Array.from({ length: count }, (_, i) => `bench-plain-${i}`);
  const totpNames = Array.from({ length: count }, (_, i) => `bench-totp-${i}`);
  await inBatches(count * 2, SETUP_CONCURRENCY, (i) =>
    expectCall(baseUrl, 'POST', '/api/v1/admin/users', 201, {
      token: admin,
      body: { username: i < count ? plainNames[i] : totpNames[i - count], password: USER_PASSWORD },
    }),
  );
  const plainTokens = await inBatches(count, SETUP_CONCURRENCY, (i) => loginToken(baseUrl, plainNames[i]!, USER_PASSWORD));
  await inBatches(count, SETUP_CONCURRENCY, async (i) => {
    const token = await loginToken(baseUrl, totpNames[i]!, USER_PASSWORD);
    await expectCall(baseUrl, 'POST', '/api/v1/me/reauth', 200, { token, body: { password: USER_PASSWORD } });
    const setup = await expectCall(baseUrl, 'POST', '/api/v1/me/two-factor/totp/setup', 200, { token, body: {} });
    const key = decodeBase32(String(setup.secret));
    if (key === null) throw new Error('the setup secret is not Base32');
    await expectCall(baseUrl, 'POST', '/api/v1/me/two-factor/totp/enable', 200, { token, body: { code: generateTOTP(key, Date.now()) } });
  });
  return { plainNames, plainTokens, totpNames };
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** Whether PostgreSQL answers; the reason when it does not. */
export async function checkPostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The server child's whole environment: loopback only, silent, its own data folder or schema. */
export function benchServerEnv(dialect: Dialect, dataDir: string, schema: string, postgresUrl: string): Record<string, string> {
  return {
    TWOFOLD_DATA_DIR: dataDir,
    TWOFOLD_HOST: '127.0.0.1',
    TWOFOLD_PORT: '0',
    TWOFOLD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TWOFOLD_MASTER_KEY: randomBytes(32).toString('hex'),
    TWOFOLD_LOG_LEVEL: 'silent',
    TWOFOLD_ISSUER: 'Twofold Bench',
    ...(dialect === 'postgres' ? { TWOFOLD_DATABASE_URL: postgresUrl, TWOFOLD_DATABASE_SCHEMA: schema } : {}),
  };
}

/** Cleanups still to run if the process is interrupted (Ctrl-C) in the middle of a dialect. */
export const pendingCleanups = new Set<() => Promise<void>>();

export async function runHTTPBenchmarks(dialect: Dialect, options: HTTPOptions, log: (line: string) => void): Promise<DialectResults> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-bench-'));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const env = benchServerEnv(dialect, dataDir, schema, options.postgresUrl);
  let server: ServerProcess | null = null;
  const cleanup = async (): Promise<void> => {
    await server?.stop();
    if (dialect === 'postgres') await dropSchema(options.postgresUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  };
  pendingCleanups.add(cleanup);
  try {
    server = await ServerProcess.start(env);
    const base = server.url;
    log(`  ${dialect}: listening on ${base} after ${server.startupMs} ms${dialect === 'postgres' ? ` (schema ${schema})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let start-up garbage settle
    const afterStartup = await server.memory(false);

    const users = await createUsers(base, options.concurrency);
    log(`  ${dialect}: ${users.plainNames.length + users.totpNames.length} users ready`);
    const ok = (status: number) => (response: Response) => response.arrayBuffer().then(() => response.status === status);
    const healthz = () => fetch(`${base}/healthz`).then(ok(200));
    const me = (worker: number) => fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${users.plainTokens[worker]}` } }).then(ok(200));
    const login = (names: string[], expected: string) => async (worker: number) => {
      const response = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: names[worker], password: USER_PASSWORD, client: 'desktop' }),
      });
      const json = (await response.json()) as { status?: string };
      return response.status === 200 && json.status === expected;
    };

    const fast = { concurrency: options.concurrency, rounds: options.rounds, durationMs: options.fastRoundMs, maxRequests: options.maxRequestsPerRound };
    const slow = { ...fast, durationMs: options.loginRoundMs };
    // Warm-up (JIT, connection pools, SQLite page cache); not recorded.
    await runLoad('warm-up', healthz, { ...fast, rounds: 1, durationMs: 500 });
    await runLoad('warm-up', me, { ...fast, rounds: 1, durationMs: 700 });
    server.resetPeak();

    const loads: LoadResult[] = [];
    const record = (result: LoadResult): void => {
      loads.push(result);
      log(`  ${dialect}: ${result.name.padEnd(34)} ${String(result.reqPerSec).padStart(8)} req/s  p95 ${result.p95Ms} ms`);
    };
    record(await runLoad('GET /healthz (baseline)', healthz, fast));
    record(await runLoad('GET /api/v1/me (bearer session)', me, fast));
    await server.loopDelay(true);
    record(await runLoad('POST login, no 2FA (session issued)', login(users.plainNames, 'ok'), slow));
    record(await runLoad('POST login, TOTP on (challenge made)', login(users.totpNames, 'second_factor_required'), slow));
    const loopDelayDuringLogins = await server.loopDelay(true);
    log(`  ${dialect}: event-loop delay during logins p99 ${loopDelayDuringLogins.p99Ms.toFixed(1)} ms`);

    const afterLoad = await server.memory(false);
    const afterLoadGC = await server.memory(true);
    return {
      dialect,
      startupMs: server.startupMs,
      accounts: 1 + users.plainNames.length + users.totpNames.length,
      loads,
      memory: { afterStartup, afterLoad, afterLoadGC },
      loopDelayDuringLogins,
    };
  } finally {
    pendingCleanups.delete(cleanup);
    await cleanup();
  }
}
