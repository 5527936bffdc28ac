import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { hashPassword } from '../src/core/passwords.ts';
import { sqliteFilePath } from '../src/store/database.ts';
import { ServerProcess, USER_PASSWORD, benchServerEnv, pendingCleanups } from './http.ts';
import { runLoad, type LoadResult, type RoundResult } from './load.ts';
import { createTOTPAccounts, prepareSecondSteps, runQueues } from './second-step.ts';
import { round } from './stats.ts';

/**
 * Issue 14, target 3: the request path at 1,000 and at 1,000,000 accounts on SQLite. The
 * measured accounts (with an authenticator app) are made through the API; the rest are written
 * straight into the database in bulk by `seedAccounts` (one precomputed Argon2id hash for all,
 * an "account created" audit event each), with the server stopped, so a million take a minute,
 * not the days a million Argon2id hashes would. Then, at each size: the password step, the
 * second step and `GET /api/v1/me` under 16 clients, the server's RSS after the load, and the
 * database file's size per account.
 */
export interface ScaleLevel {
  accounts: number;
  databaseMB: number;
  bytesPerAccount: number;
  passwordStep: LoadResult;
  secondStep: RoundResult;
  me: LoadResult;
  rssAfterLoadMB: number;
}

export interface ScaleResults {
  levels: ScaleLevel[];
  /** p50 at the largest size ÷ p50 at the smallest, per path. */
  latencyRatios: { passwordStep: number; secondStep: number; me: number };
}

const CONCURRENCY = 16;

/** Writes plain accounts (no two-factor) until the database holds `total` users. */
function seedAccounts(file: string, total: number, passwordHash: string, now: number): number {
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    const existing = (db.prepare('select count(*) as n from users').get() as { n: number }).n;
    const user = db.prepare(
      `insert into users (id, username, username_key, display_name, email, email_verified, role, password_hash, created_at, updated_at)
       values (?, ?, ?, ?, null, 0, 'user', ?, ?, ?)`,
    );
    const event = db.prepare(
      `insert into audit_events (id, at, type, outcome, user_id, username, actor, client, ip, detail) values (?, ?, 'account.created', 'success', ?, ?, 'admin', null, '127.0.0.1', null)`,
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        // Extension numbers, as a UC system names its users.
        const username = String(100_000 + i);
        user.run(id, username, username, `User ${username}`, passwordHash, now, now);
        event.run(randomUUID(), now, id, username);
      }
    });
    for (let from = existing; from < total; from += 50_000) batch(from, Math.min(total, from + 50_000));
    db.pragma('wal_checkpoint(TRUNCATE)');
    return total - existing;
  } finally {
    db.close();
  }
}

export async function runScaleBenchmarks(options: { quick: boolean }, log: (line: string) => void): Promise<ScaleResults> {
  const sizes = options.quick ? [1_000, 20_000] : [1_000, 1_000_000];
  const secondSteps = options.quick ? 90 : 600;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-bench-scale-'));
  // One environment for every restart: the master key must stay the same.
  const env = benchServerEnv('sqlite', dataDir, '', '');
  let server: ServerProcess | null = null;
  const cleanup = async (): Promise<void> => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  pendingCleanups.add(cleanup);
  try {
    server = await ServerProcess.start(env);
    const accounts = await createTOTPAccounts(server.url, Math.ceil(secondSteps / 3));
    const passwordHash = await hashPassword(USER_PASSWORD);
    let offsetMs = 0;
    const levels: ScaleLevel[] = [];
    for (const size of sizes) {
      await server.stop();
      const started = Date.now();
      const written = seedAccounts(sqliteFilePath(dataDir), size, passwordHash, Date.now());
      log(`  scale: ${written.toLocaleString('en-US')} accounts written in ${Math.round((Date.now() - started) / 1000)} s`);
      server = await ServerProcess.start(env);
      // The clock offset does not survive the restart: the new process starts at real time, so
      // the next round moves on from where the last one ended.
      await server.setClockOffset(offsetMs);
      const base = server.url;
      const login = (worker: number) =>
        fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: accounts[worker]!.username, password: USER_PASSWORD, client: 'desktop' }),
        }).then(async (r) => r.status === 200 && ((await r.json()) as { status?: string }).status === 'second_factor_required');
      const round1 = { concurrency: CONCURRENCY, rounds: options.quick ? 1 : 3, maxRequests: 50_000 };
      // Warm-up: the page cache and the JIT, not recorded.
      await runLoad('warm-up', login, { ...round1, rounds: 1, durationMs: 500 });
      const passwordStep = await runLoad('password step', login, { ...round1, durationMs: options.quick ? 1_000 : 3_000 });
      const prepared = await prepareSecondSteps(server, accounts, { requests: secondSteps, concurrency: CONCURRENCY, offsetMs });
      offsetMs = prepared.offsetMs;
      const secondStep = await runQueues(prepared.queues);
      const tokens = prepared.tokens;
      const me = (worker: number) =>
        fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${tokens[worker % tokens.length]}` } }).then(async (r) => {
          await r.arrayBuffer();
          return r.status === 200;
        });
      const meLoad = await runLoad('GET /api/v1/me', me, { ...round1, durationMs: options.quick ? 500 : 2_000 });
      const memory = await server.memory(false);
      const file = sqliteFilePath(dataDir);
      const bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      const level: ScaleLevel = {
        accounts: size,
        databaseMB: round(bytes / 1024 / 1024, 1),
        bytesPerAccount: Math.round(bytes / size),
        passwordStep,
        secondStep,
        me: meLoad,
        rssAfterLoadMB: memory.rssMB,
      };
      levels.push(level);
      log(
        `  scale: ${size.toLocaleString('en-US')} accounts, ${level.databaseMB} MB (${level.bytesPerAccount} B each): password step p50 ${passwordStep.p50Ms} ms,` +
          ` second step p50 ${secondStep.p50Ms} ms (${secondStep.errors} errors), /me p50 ${meLoad.p50Ms} ms, RSS ${memory.rssMB} MB`,
      );
    }
    const first = levels[0]!;
    const last = levels.at(-1)!;
    return {
      levels,
      latencyRatios: {
        passwordStep: round(last.passwordStep.p50Ms / first.passwordStep.p50Ms, 2),
        secondStep: round(last.secondStep.p50Ms / first.secondStep.p50Ms, 2),
        me: round(last.me.p50Ms / first.me.p50Ms, 2),
      },
    };
  } finally {
    pendingCleanups.delete(cleanup);
    await cleanup();
  }
}
