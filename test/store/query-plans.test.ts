import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFilePath } from '../../src/store/database.ts';
import { sweepExpired } from '../../src/flows/sweep-expired.ts';
import {
  adminToken,
  bearer,
  body,
  createMailCapture,
  createTestClock,
  createTestEnvironment,
  createUser,
  login,
  loginToken,
  post,
  startTestApp,
  totpCode,
  type TestApp,
} from '../support/harness.ts';

/**
 * Issue 14, scale: every statement the server runs on the request path and in its sweeps uses an
 * index. The real app runs a day of traffic on a real SQLite file (logins with and without a
 * code, wrong ones, the Password window, setup, sessions, administration, the audit filters,
 * the expiry sweep); every distinct statement it prepared is then explained with SQLite's
 * EXPLAIN QUERY PLAN, and a full scan of a table fails the test unless it is listed below with
 * the reason it cannot grow with the number of accounts.
 */
const SCANS_ALLOWED: Record<string, string> = {
  meta: 'a handful of rows (schema facts, the readiness probe, the key ring)',
  kysely_migration: "the migrator's list of applied migrations, read at start-up",
  sqlite_master: "SQLite's schema, read by the migrator at start-up",
};

/** Statements that read a whole table by design, each with its reason. */
const WHOLE_TABLE_ON_PURPOSE: { pattern: RegExp; why: string }[] = [
  { pattern: /^select count\(\*\) as "count" from "users"$/, why: 'the administrator overview counts accounts' },
  { pattern: /^select .* from "users" .*order by "username_key"/, why: "the administrator's account list" },
  { pattern: /^update "sessions" set "auth_time" = "created_at"$/, why: 'migration 005, once, on upgrade' },
  { pattern: /"legacy_sealed_secret" is not null$/, why: 'the one-off re-seal after migration 005, on upgrade' },
];

describe('query plans (SQLite)', () => {
  let test: TestApp;
  const prepared = new Set<string>();
  const atStartup = new Set<string>();
  const originalPrepare = SQLite.prototype.prepare;

  beforeAll(async () => {
    // A spy on the driver (not on our code): it records each statement's text and prepares it as before.
    SQLite.prototype.prepare = function (this: SQLite.Database, source: string) {
      prepared.add(source);
      return originalPrepare.call(this, source);
    } as typeof originalPrepare;
    const clock = createTestClock(Date.UTC(2026, 11, 2, 9, 0, 0));
    const mailer = createMailCapture();
    test = await startTestApp(createTestEnvironment('sqlite'), { clock, mailer });
    // Migrations ran meanwhile: their statements may name tables that are gone since.
    for (const source of prepared) atStartup.add(source);

    const { app } = test;
    const admin = await adminToken(app);
    const alice = await createUser(app, { username: 'alice', email: 'alice@example.test' });
    // Setup and enable, through the Password window.
    const aliceToken = await loginToken(app, alice.username, alice.password);
    await post(app, '/api/v1/me/reauth', { password: alice.password }, aliceToken);
    const setup = body<{ secret: string }>(await post(app, '/api/v1/me/two-factor/totp/setup', {}, aliceToken));
    await post(app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(setup.secret, 0, clock()) }, aliceToken);
    clock.advance(30_000);
    // A login with a wrong code, then the right one; a wrong password; the email method.
    const challenge = body<{ challengeId: string }>(await login(app, alice.username, alice.password)).challengeId;
    await post(app, '/api/v1/auth/login/second-factor', { challengeId: challenge, method: 'totp', code: '000000' });
    const done = body<{ token: string }>(await post(app, '/api/v1/auth/login/second-factor', { challengeId: challenge, method: 'totp', code: totpCode(setup.secret, 0, clock()) }));
    await login(app, alice.username, 'not-the-password');
    await login(app, 'nobody-here', 'not-the-password');
    for (const url of ['/api/v1/me', '/api/v1/me/sessions', '/api/v1/me/authenticators']) await app.inject({ method: 'GET', url, headers: bearer(done.token) });
    clock.advance(30_000);
    await post(app, '/api/v1/me/reauth', { password: alice.password, code: totpCode(setup.secret, 0, clock()) }, done.token);
    await post(app, '/api/v1/me/two-factor/recovery-codes', {}, done.token);
    await post(app, '/api/v1/auth/logout', {}, done.token);
    // Administration: the list, one account, its authenticators, unlock, the audit filters.
    for (const url of [
      '/api/v1/admin/users',
      '/api/v1/admin/users/alice/authenticators',
      '/api/v1/admin/audit-events?limit=20',
      '/api/v1/admin/audit-events?limit=20&username=alice',
    ]) {
      await app.inject({ method: 'GET', url, headers: bearer(admin) });
    }
    const page = body<{ nextCursor: string | null }>(await app.inject({ method: 'GET', url: '/api/v1/admin/audit-events?limit=2', headers: bearer(admin) }));
    if (page.nextCursor) await app.inject({ method: 'GET', url: `/api/v1/admin/audit-events?limit=2&before=${encodeURIComponent(page.nextCursor)}`, headers: bearer(admin) });
    await app.inject({ method: 'DELETE', url: '/api/v1/admin/users/alice/lock', headers: bearer(admin) });
    // A password reset mail, and the sweep a day later.
    await post(app, '/api/v1/auth/password-reset', { username: 'alice' });
    clock.advance(24 * 60 * 60_000);
    await sweepExpired(test.services.flows, 30);
  }, 120_000);

  afterAll(async () => {
    SQLite.prototype.prepare = originalPrepare;
    await test?.close();
  });

  it('reads every table through an index', () => {
    const db = new SQLite(sqliteFilePath(test.environment.config.dataDir), { readonly: true });
    const explained: string[] = [];
    const scans: string[] = [];
    try {
      for (const source of prepared) {
        if (!/^\s*(select|update|delete|insert)/i.test(source) || /^\s*insert[^(]*\([^)]*\)\s*values/i.test(source) && !/\bselect\b/i.test(source)) continue;
        if (WHOLE_TABLE_ON_PURPOSE.some(({ pattern }) => pattern.test(source))) continue;
        let statement: SQLite.Statement;
        try {
          statement = originalPrepare.call(db, `explain query plan ${source}`);
        } catch (error) {
          if (atStartup.has(source) && /no such (table|column)/.test(String(error))) continue;
          throw error;
        }
        const nulls = Array.from({ length: (source.match(/\?/g) ?? []).length }, () => null);
        const plan = statement.all(nulls) as { detail: string }[];
        explained.push(source);
        for (const { detail } of plan) {
          // "SCAN t" reads the whole table; "SCAN t USING INDEX i" reads it in index order, which
          // is only bounded with a LIMIT (the newest-first audit page).
          const scan = /^SCAN (\w+)( USING (COVERING )?INDEX \w+)?$/.exec(detail);
          if (scan === null) continue;
          const table = scan[1]!;
          if (table in SCANS_ALLOWED) continue;
          if (scan[2] !== undefined && /\blimit\b/i.test(source)) continue;
          scans.push(`${detail}  ←  ${source.slice(0, 160)}`);
        }
      }
    } finally {
      db.close();
    }
    // The workload did reach the request path and the sweeps.
    expect(explained.some((s) => s.includes('from "sessions"'))).toBe(true);
    expect(explained.some((s) => s.startsWith('delete from "login_challenges"'))).toBe(true);
    expect(explained.some((s) => s.includes('"audit_events"') && s.includes('"user_id"'))).toBe(true);
    expect(scans).toEqual([]);
  });
});
