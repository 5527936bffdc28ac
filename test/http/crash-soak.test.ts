import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, sqliteFilePath } from '../../src/store/database.ts';
import { ADMIN_PASSWORD, DIALECTS, createTestEnvironment, totpCode, type TestEnvironment } from '../support/harness.ts';
import { call, startTestServer, type TestServerInstance } from '../support/processes.ts';

// SIGKILL the server again and again while clients enable two-factor, log in with an app code
// and spend recovery codes. A killed process gets no chance to finish anything, so whatever it
// answered must already be committed: after each restart the database is consistent, no account
// is half-enrolled, every enable answered "Edited successfully." is in force, and every code the
// server accepted stays used. The kill comes after a random number of answers, not after a sleep.

const ROUNDS = Number(process.env.TWOFOLD_CRASH_ROUNDS ?? 3);
const ACCOUNTS = 4;
// Each round starts 16 minutes later on the server's (and the clients') clock: fresh TOTP steps
// and a fresh attempt window, without anyone waiting for them.
const ROUND_SHIFT_MS = 16 * 60_000;

interface Account {
  username: string;
  password: string;
  secret: string | null;
  /** The enable was answered "Edited successfully.": two-factor must be on from then on. */
  enableAnswered: boolean;
  unusedRecoveryCodes: string[];
  /** Codes the server accepted this round (recovery codes, and TOTP codes with their step). */
  acceptedThisRound: Array<{ method: 'totp' | 'recovery_code'; code: string; step?: number }>;
}

class Killed extends Error {}

describe.each(DIALECTS)('crash soak (%s)', (dialect) => {
  let environment: TestEnvironment;
  let server: TestServerInstance | null = null;
  let offsetMs = 0;
  const clientNow = () => Date.now() + offsetMs;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await environment?.dropDatabase();
  });

  /** One request; after the kill every request fails, which ends that client's work for the round. */
  async function request(method: string, url: string, options: { body?: unknown; token?: string } = {}) {
    try {
      return await call(server!.url, method, url, options);
    } catch {
      throw new Killed();
    }
  }

  async function signIn(account: Account): Promise<{ token?: string; challengeId?: string }> {
    const login = await request('POST', '/api/v1/auth/login', { body: { username: account.username, password: account.password, client: 'mobile' } });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    return login.json as { token?: string; challengeId?: string };
  }

  /** What one client does during a round, until the server dies under it or it runs out of codes. */
  async function work(account: Account, answered: () => void): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const first = await signIn(account);
      answered();
      if (first.token !== undefined) {
        // Two-factor still off: an enable the server answered is never undone, so this must be a fresh account.
        expect(account.enableAnswered, `${account.username} lost its two-factor`).toBe(false);
        expect((await request('POST', '/api/v1/me/reauth', { body: { password: account.password }, token: first.token })).status).toBe(200);
        const setup = await request('POST', '/api/v1/me/two-factor/totp/setup', { body: {}, token: first.token });
        expect(setup.status).toBe(200);
        account.secret = String(setup.json.secret);
        answered();
        const enabledAt = clientNow();
        const enableCode = totpCode(account.secret, -1, enabledAt);
        const enable = await request('POST', '/api/v1/me/two-factor/totp/enable', { body: { code: enableCode }, token: first.token });
        expect(enable.status, JSON.stringify(enable.json)).toBe(200);
        expect(enable.json.message).toBe('Edited successfully.');
        account.enableAnswered = true;
        account.unusedRecoveryCodes = (enable.json.recoveryCodes as string[]).slice(0, 3);
        account.acceptedThisRound.push({ method: 'totp', code: enableCode, step: step(enabledAt) - 1 });
        answered();
        continue;
      }
      // An enable sent but never answered may still have committed: then the secret from setup is the one.
      expect(account.secret, `${account.username} has two-factor on without a finished setup`).not.toBeNull();
      const at = clientNow();
      const useTOTP = !account.acceptedThisRound.some((a) => a.method === 'totp' && a.step !== undefined && a.step >= step(at));
      const code = useTOTP ? totpCode(account.secret!, 0, at) : account.unusedRecoveryCodes[0];
      if (code === undefined) return;
      const method = useTOTP ? 'totp' : 'recovery_code';
      // A recovery code sent is spent for the client: if the server dies before it answers, the
      // code may have been used (committed) or not, so it is never sent again either way.
      if (method === 'recovery_code') account.unusedRecoveryCodes.shift();
      const second = await request('POST', '/api/v1/auth/login/second-factor', { body: { challengeId: first.challengeId, method, code } });
      expect(second.status, `${account.username} ${method}: ${JSON.stringify(second.json)}`).toBe(200);
      account.acceptedThisRound.push({ method, code, ...(useTOTP ? { step: step(at) } : {}) });
      answered();
    }
  }

  it(`kills the server ${ROUNDS} times mid-flow and loses nothing it answered`, async () => {
    environment = createTestEnvironment(dialect);
    server = await startTestServer(environment.env);
    const adminLogin = await call(server.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } });
    const admin = String(adminLogin.json.token);
    expect((await call(server.url, 'POST', '/api/v1/me/reauth', { body: { password: ADMIN_PASSWORD }, token: admin })).status).toBe(200);
    const accounts: Account[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const account: Account = { username: `crash-${i}`, password: `crash-password-${i}`, secret: null, enableAnswered: false, unusedRecoveryCodes: [], acceptedThisRound: [] };
      expect((await call(server.url, 'POST', '/api/v1/admin/users', { body: { username: account.username, password: account.password }, token: admin })).status).toBe(201);
      accounts.push(account);
    }

    for (let round = 0; round < ROUNDS; round++) {
      // Kill after a random number of answers: early in one round, late in another.
      const killAfter = 6 + Math.floor(Math.random() * 20);
      let answers = 0;
      const current = server;
      const answered = () => {
        answers += 1;
        if (answers === killAfter) current.child.kill('SIGKILL');
      };
      const outcomes = await Promise.allSettled(accounts.map((account) => work(account, answered)));
      for (const outcome of outcomes) if (outcome.status === 'rejected' && !(outcome.reason instanceof Killed)) throw outcome.reason;
      if (current.child.exitCode === null && current.child.signalCode === null) current.child.kill('SIGKILL');
      expect(await current.exited).toBeNull();

      if (process.env.TWOFOLD_SOAK_DEBUG) console.log(new Date().toISOString(), { round, killAfter, answers, enabled: accounts.filter((a) => a.enableAnswered).length, accepted: accounts.map((a) => a.acceptedThisRound.length) });
      await expectConsistentDatabase(environment);
      offsetMs += ROUND_SHIFT_MS;
      server = await startTestServer(environment.env, { clockOffsetMs: offsetMs });
      if (process.env.TWOFOLD_SOAK_DEBUG) console.log(new Date().toISOString(), 'restarted');
      await expectAnswersInForce(accounts);
      if (process.env.TWOFOLD_SOAK_DEBUG) console.log(new Date().toISOString(), 'checked');
      for (const account of accounts) account.acceptedThisRound = [];
    }
    // The clients really did all three things across the rounds.
    expect(accounts.some((a) => a.enableAnswered)).toBe(true);
  }, 300_000);

  function step(now: number): number {
    return Math.floor(now / 30_000);
  }

  /** After the restart, through the API: two-factor on where answered, and no accepted code works twice. */
  async function expectAnswersInForce(accounts: Account[]): Promise<void> {
    for (const account of accounts) {
      if (account.enableAnswered) {
        const login = await call(server!.url, 'POST', '/api/v1/auth/login', { body: { username: account.username, password: account.password, client: 'mobile' } });
        expect(login.json.status, `${account.username}: an answered enable is not in force`).toBe('second_factor_required');
      }
      for (const accepted of account.acceptedThisRound) {
        if (accepted.method === 'totp') continue; // Its step is long past; the replay guard is checked in the database.
        const login = await call(server!.url, 'POST', '/api/v1/auth/login', { body: { username: account.username, password: account.password, client: 'mobile' } });
        const again = await call(server!.url, 'POST', '/api/v1/auth/login/second-factor', {
          body: { challengeId: login.json.challengeId, method: 'recovery_code', code: accepted.code },
        });
        expect(again.status, `${account.username}: an accepted recovery code worked again`).toBe(401);
      }
    }
    const byName = new Map(accounts.map((a) => [a.username, a]));
    const handle = await createDatabase(environment.config);
    try {
      const rows = await handle.db
        .selectFrom('authenticators')
        .innerJoin('users', 'users.id', 'authenticators.user_id')
        .select(['users.username', 'authenticators.last_used_step'])
        .where('authenticators.type', '=', 'totp')
        .execute();
      for (const row of rows) {
        const steps = byName.get(row.username)?.acceptedThisRound.filter((a) => a.method === 'totp').map((a) => a.step!) ?? [];
        for (const accepted of steps) expect(Number(row.last_used_step), `${row.username}: an accepted step is usable again`).toBeGreaterThanOrEqual(accepted);
      }
    } finally {
      await handle.close();
    }
  }
});

/** The storage engine's own checks, foreign keys, and no account half-enrolled. */
async function expectConsistentDatabase(environment: TestEnvironment): Promise<void> {
  if (environment.dialect === 'sqlite') {
    // Opening replays the write-ahead log the killed process left, as the next start would.
    const connection = new SQLite(sqliteFilePath(environment.dataDir));
    try {
      expect(connection.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(connection.pragma('foreign_key_check')).toEqual([]);
    } finally {
      connection.close();
    }
  }
  const handle = await createDatabase(environment.config);
  try {
    const db = handle.db;
    if (environment.dialect === 'postgres') {
      const schema = environment.config.databaseSchema;
      // Every index valid and ready, and every foreign key holds (no orphan rows).
      const invalid = await sql<{ name: string }>`
        select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and not (i.indisvalid and i.indisready)`.execute(db);
      expect(invalid.rows).toEqual([]);
      for (const table of ['sessions', 'recovery_codes', 'authenticators', 'login_challenges', 'pending_totp_secrets']) {
        const orphans = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} t where not exists (select 1 from users u where u.id = t.user_id)`.execute(db);
        expect(orphans.rows[0]?.n, `orphan rows in ${table}`).toBe(0);
      }
      const unique = await sql<{ n: number }>`select count(*)::int as n from (select username_key from users group by username_key having count(*) > 1) d`.execute(db);
      expect(unique.rows[0]?.n).toBe(0);
    }
    // Half-enrolled: an authenticator without its secret, or two-factor on (an authenticator
    // exists) without the recovery codes that are issued in the same transaction.
    const halfEnrolled = await db
      .selectFrom('authenticators')
      .innerJoin('users', 'users.id', 'authenticators.user_id')
      .select(['users.username', 'authenticators.type', 'authenticators.sealed_secret'])
      .where((eb) =>
        eb.or([
          eb.and([eb('authenticators.type', '=', 'totp'), eb('authenticators.sealed_secret', 'is', null), eb('authenticators.legacy_sealed_secret', 'is', null)]),
          eb.not(eb.exists(eb.selectFrom('recovery_codes').select('recovery_codes.user_id').whereRef('recovery_codes.user_id', '=', 'users.id'))),
        ]),
      )
      .execute();
    expect(halfEnrolled).toEqual([]);
  } finally {
    await handle.close();
  }
}
