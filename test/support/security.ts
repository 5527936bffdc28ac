import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { appNow, bearer, body, login, post, totpCode, type TestApp } from './harness.ts';

// Helpers shared by the security suites. Each is either one real HTTP request or a direct look at
// the database (to observe what was stored, or to move a stored time back: the only clock we touch).

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Asserts the contract's error shape: status, code, a readable message and no stack trace. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): ErrorBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const json = body<ErrorBody>(response);
  expect(Object.keys(json)).toEqual(['error']);
  expect(json.error.code).toBe(code);
  expect(typeof json.error.message).toBe('string');
  expect(json.error.message.trim().length).toBeGreaterThan(0);
  expectNoStackTrace(response.body);
  return json;
}

export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+|Error: /);
}

/**
 * Whether `needle` occurs as a whole token: a 6-digit code inside a 13-digit timestamp (or the
 * digits of a fraction) is a coincidence, not a leak.
 */
export function containsToken(haystack: string, needle: string): boolean {
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z0-9_.-])${escaped}(?![A-Za-z0-9_-])`).test(haystack);
}

export async function get(app: FastifyInstance, url: string, token?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
}

export async function del(app: FastifyInstance, url: string, token?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'DELETE', url, headers: token ? bearer(token) : {} });
}

/** The password step for an account with two-factor on; returns the challenge id. */
export async function startChallenge(
  app: FastifyInstance,
  username: string,
  password: string,
  client: 'web' | 'desktop' | 'mobile' = 'desktop',
): Promise<string> {
  const response = await login(app, username, password, client);
  const json = body<{ status?: string; challengeId?: string }>(response);
  if (response.statusCode !== 200 || json.status !== 'second_factor_required' || !json.challengeId) {
    throw new Error(`expected a challenge for ${username}: ${response.statusCode} ${response.body}`);
  }
  return json.challengeId;
}

export async function answerChallenge(
  app: FastifyInstance,
  challengeId: string,
  code: string,
  method: 'totp' | 'email' | 'recovery_code' = 'totp',
): Promise<LightMyRequestResponse> {
  return post(app, '/api/v1/auth/login/second-factor', { challengeId, method, code });
}

/** A 6-digit code that is certainly not accepted for `secret` at `now` (no step within ±3 produces it). */
export function wrongCode(secret: string, now: number, seed = 0): string {
  const taken = new Set(Array.from({ length: 7 }, (_, i) => totpCode(secret, i - 3, now)));
  for (let n = seed; ; n++) {
    const candidate = String((n * 7919 + 123_457) % 1_000_000).padStart(6, '0');
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Password window, setup and enable with the previous step's code at the app's clock, like the
 * harness's enableTOTP. Every step after the enrolment step is still unused: callers take the
 * current or next step's code from the same clock.
 */
export async function enrollTOTP(
  app: FastifyInstance,
  token: string,
  password: string,
): Promise<{ secret: string; recoveryCodes: string[]; enrollmentCode: string }> {
  const reauth = await post(app, '/api/v1/me/reauth', { password }, token);
  if (reauth.statusCode !== 200) throw new Error(`reauth failed: ${reauth.body}`);
  const setup = await post(app, '/api/v1/me/two-factor/totp/setup', {}, token);
  if (setup.statusCode !== 200) throw new Error(`setup failed: ${setup.body}`);
  const { secret } = body<{ secret: string }>(setup);
  const previous = totpCode(secret, -1, appNow(app));
  const enable = await post(app, '/api/v1/me/two-factor/totp/enable', { code: previous }, token);
  if (enable.statusCode !== 200) throw new Error(`enable failed: ${enable.body}`);
  return { secret, recoveryCodes: body<{ recoveryCodes: string[] }>(enable).recoveryCodes, enrollmentCode: previous };
}

export async function userId(t: TestApp, username: string): Promise<string> {
  const row = await t.services.database.db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  return row.id;
}

export function secondFactorKey(id: string): string {
  return `second-factor:account:${id}`;
}

/** Every row of the tables a request could change, in a stable order, for before/after comparison. */
export async function snapshotTables(t: TestApp): Promise<Record<string, unknown[]>> {
  const db = t.services.database.db;
  return {
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    // last_seen_at moves on its own (once a minute per session); it is not data a request writes.
    sessions: (await db.selectFrom('sessions').selectAll().orderBy('id').execute()).map(({ last_seen_at: _seen, ...rest }) => rest),
    authenticators: await db.selectFrom('authenticators').selectAll().orderBy('id').execute(),
    pending_totp_secrets: await db.selectFrom('pending_totp_secrets').selectAll().orderBy('user_id').execute(),
    recovery_codes: await db.selectFrom('recovery_codes').selectAll().orderBy('user_id').orderBy('code_hash').execute(),
    login_challenges: await db.selectFrom('login_challenges').selectAll().orderBy('id_hash').execute(),
    attempt_counters: await db.selectFrom('attempt_counters').selectAll().orderBy('key').execute(),
    audit_events: await db.selectFrom('audit_events').selectAll().orderBy('id').execute(),
    email_codes: await db.selectFrom('email_codes').selectAll().orderBy('key').execute(),
    webauthn_challenges: await db.selectFrom('webauthn_challenges').selectAll().orderBy('binding').execute(),
    password_tokens: await db.selectFrom('password_tokens').selectAll().orderBy('token_hash').execute(),
  };
}

/** Every row of every table of the test's PostgreSQL schema, each as its text form. */
export async function dumpPostgres(t: TestApp): Promise<string> {
  const db = t.services.database.db;
  const schema = t.environment.config.databaseSchema;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE'
  `.execute(db);
  expect(tables.rows.length).toBeGreaterThanOrEqual(10);
  const parts: string[] = [];
  for (const { table_name: table } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.id(schema, table)} t`.execute(db);
    parts.push(`-- ${table}`, ...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}
