import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import * as OTPAuth from 'otpauth';
import { loadConfig, type Config } from '../../src/config.ts';
import { bootstrapAdmin } from '../../src/flows/bootstrap-admin.ts';
import type { SecurityNotifier } from '../../src/flows/shared/deps.ts';
import type { MailTransport, PasswordHasher } from '../../src/ports.ts';
import { createArgon2PasswordHasher } from '../../src/core/passwords.ts';
import type { Clock } from '../../src/core/clock.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/runtime/services.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Every HTTP and store suite runs once per dialect; PostgreSQL is real (CI's local server). */
export const DIALECTS: Dialect[] = (process.env.TWOFOLD_TEST_DIALECTS?.split(',') as Dialect[] | undefined) ?? ['sqlite', 'postgres'];

export const POSTGRES_URL = process.env.TWOFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_PASSWORD = 'admin-password-123';

export interface TestEnvironment {
  dialect: Dialect;
  dataDir: string;
  /** Environment for the server and CLI, pointing at this test's private database. */
  env: Record<string, string>;
  config: Config;
  dropDatabase(): Promise<void>;
}

/** A private database per test file: a temp folder for SQLite, a fresh schema for PostgreSQL. */
export function createTestEnvironment(dialect: Dialect, extraEnv: Record<string, string> = {}): TestEnvironment {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-test-'));
  // Dropped with the rest of the run's schemas at the end (test/support/global-setup.ts).
  const schema = `${process.env.TWOFOLD_TEST_SCHEMA_PREFIX ?? 't_adhoc_'}${randomBytes(6).toString('hex')}`;
  const env: Record<string, string> = {
    TWOFOLD_DATA_DIR: dataDir,
    TWOFOLD_PORT: '0',
    TWOFOLD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TWOFOLD_LOG_LEVEL: 'silent',
    TWOFOLD_ISSUER: 'Twofold Test',
    ...(dialect === 'postgres' ? { TWOFOLD_DATABASE_URL: POSTGRES_URL, TWOFOLD_DATABASE_SCHEMA: schema } : {}),
    ...extraEnv,
  };
  return {
    dialect,
    dataDir,
    env,
    config: loadConfig(env),
    async dropDatabase() {
      // The PostgreSQL schema stays until the run ends (see global-setup.ts).
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  environment: TestEnvironment;
  /** Closes the app and its pool, keeping the database (to test restarts). */
  stop(): Promise<void>;
  /** Stops and deletes the database. */
  close(): Promise<void>;
}

// The clock each test app runs on, for the helpers below that compute codes from an `app` alone.
const appClocks = new WeakMap<FastifyInstance, Clock>();

/**
 * The time of `app`'s clock. TOTP helpers need it: a code computed from the real time can fall a
 * step behind the app's, and waiting for a fresh step is what the clock seam replaces.
 */
export function appNow(app: FastifyInstance): number {
  const clock = appClocks.get(app);
  if (clock === undefined) throw new Error('this helper computes codes on the app\'s clock: start the app with startTestApp(env, { clock: createTestClock(...) })');
  return clock();
}

/**
 * The clock seam for tests (createServices(config, { clock })): time moves only when the test
 * says so, so TOTP steps, drift and expiry are tested without sleeping or editing rows.
 */
export interface TestClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function createTestClock(start: number): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** Mail kept in memory (the mailer's destination is one of the seams tests may swap). */
export function createMailCapture(): MailTransport & { sent: { to: string; subject: string; text: string }[]; lastCode(to: string): string } {
  const sent: { to: string; subject: string; text: string }[] = [];
  return {
    sent,
    async send(message) {
      sent.push(message);
    },
    lastCode(to) {
      // The code is in the body only: a Subject shows on lock screens (issue 13 #12).
      const mail = sent.filter((m) => m.to === to && /^Your authentication code is [0-9]{6}$/m.test(m.text)).at(-1);
      const code = mail === undefined ? undefined : /^Your authentication code is ([0-9]{6})$/m.exec(mail.text)?.[1];
      if (code === undefined) throw new Error(`no code mailed to ${to}`);
      return code;
    },
  };
}

/**
 * Argon2id at its smallest cost, for apps under test: the same algorithm, code path and PHC
 * strings as production, at a fraction of the CPU (a test signs in hundreds of times). Nothing
 * these suites assert depends on the cost: the unknown-username path verifies against a dummy
 * hash of the same hasher, so it stays as slow as a real check. The production parameters are
 * asserted by test/core/passwords.test.ts, and every suite that starts a real process
 * (multi-instance, CLI, crash soak, production build) runs at full cost.
 */
export const TEST_PASSWORD_HASHER: PasswordHasher = createArgon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/** The real app over a real database, reached through `inject` (no port needed). */
export async function startTestApp(
  environment: TestEnvironment,
  options: { notifier?: SecurityNotifier; clock?: Clock; mailer?: MailTransport; passwordHasher?: PasswordHasher } = {},
): Promise<TestApp> {
  let services: Services;
  try {
    services = await createServices(environment.config, {
      notifier: options.notifier,
      clock: options.clock,
      mailer: options.mailer,
      passwordHasher: process.env.TWOFOLD_TEST_FULL_ARGON2 ? undefined : (options.passwordHasher ?? TEST_PASSWORD_HASHER),
    });
  } catch (error) {
    await environment.dropDatabase();
    throw error;
  }
  await bootstrapAdmin(services.flows, environment.config.adminPassword);
  const app = await buildApp({ flows: services.flows, poolStats: services.database.poolStats });
  await app.ready();
  if (options.clock !== undefined) appClocks.set(app, options.clock);
  const stop = async () => {
    await app.close();
    await services.close();
  };
  return {
    app,
    services,
    environment,
    stop,
    async close() {
      await stop();
      await environment.dropDatabase();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// API helpers: each is one real HTTP request through the app.

export interface Json {
  [key: string]: unknown;
}

export function body<T = Json>(response: LightMyRequestResponse): T {
  return response.json() as T;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function post(app: FastifyInstance, url: string, payload: unknown, token?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, payload: payload as Json, headers: token ? bearer(token) : {} });
}

export async function login(
  app: FastifyInstance,
  username: string,
  password: string,
  client: 'web' | 'desktop' | 'mobile' = 'desktop',
): Promise<LightMyRequestResponse> {
  return post(app, '/api/v1/auth/login', { username, password, client });
}

/** Logs in an account without two-factor and returns its bearer token. */
export async function loginToken(app: FastifyInstance, username: string, password: string): Promise<string> {
  const response = await login(app, username, password);
  const json = body<{ status: string; token?: string }>(response);
  if (response.statusCode !== 200 || json.status !== 'ok' || !json.token) {
    throw new Error(`login of ${username} did not give a token: ${response.statusCode} ${response.body}`);
  }
  return json.token;
}

/** A token of the administrator, just through the Password window (admin changes need it). */
export async function adminToken(app: FastifyInstance): Promise<string> {
  const token = await loginToken(app, 'admin', ADMIN_PASSWORD);
  const reauth = await post(app, '/api/v1/me/reauth', { password: ADMIN_PASSWORD }, token);
  if (reauth.statusCode !== 200) throw new Error(`admin reauth failed: ${reauth.body}`);
  return token;
}

let userCounter = 0;

/** Creates a user through the admin API and returns its credentials. */
export async function createUser(
  app: FastifyInstance,
  options: { username?: string; password?: string; email?: string; role?: 'user' | 'admin' } = {},
): Promise<{ username: string; password: string }> {
  userCounter += 1;
  const username = options.username ?? `${1000 + userCounter}`;
  const password = options.password ?? `password-${userCounter}-secret`;
  const response = await post(
    app,
    '/api/v1/admin/users',
    { username, password, ...(options.email ? { email: options.email } : {}), ...(options.role ? { role: options.role } : {}) },
    await adminToken(app),
  );
  if (response.statusCode !== 201) throw new Error(`create user failed: ${response.statusCode} ${response.body}`);
  return { username, password };
}

// ---------------------------------------------------------------------------------------------
// TOTP computed by an independent implementation (otpauth), at the time the test gives.

export function totpCode(secret: string, stepOffset = 0, now = Date.now()): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: now + stepOffset * 30_000 });
}

/** The previous, current and next step's codes at `now`: the server accepts each once. */
export function codesAt(secret: string, now: number): { previous: string; current: string; next: string } {
  return { previous: totpCode(secret, -1, now), current: totpCode(secret, 0, now), next: totpCode(secret, 1, now) };
}

/**
 * Password window, setup and enable: returns the secret and recovery codes. Uses the previous
 * step's code at the app's clock (which the test moves), and returns that instant's three codes.
 */
export async function enableTOTP(
  app: FastifyInstance,
  token: string,
  password: string,
): Promise<{ secret: string; recoveryCodes: string[]; codes: { previous: string; current: string; next: string } }> {
  const reauth = await post(app, '/api/v1/me/reauth', { password }, token);
  if (reauth.statusCode !== 200) throw new Error(`reauth failed: ${reauth.body}`);
  const setup = await post(app, '/api/v1/me/two-factor/totp/setup', {}, token);
  if (setup.statusCode !== 200) throw new Error(`setup failed: ${setup.body}`);
  const { secret } = body<{ secret: string }>(setup);
  const codes = codesAt(secret, appNow(app));
  const enable = await post(app, '/api/v1/me/two-factor/totp/enable', { code: codes.previous }, token);
  if (enable.statusCode !== 200) throw new Error(`enable failed: ${enable.body}`);
  return { secret, recoveryCodes: body<{ recoveryCodes: string[] }>(enable).recoveryCodes, codes };
}

/** Password step then second step; returns the final response. */
export async function loginWithCode(
  app: FastifyInstance,
  username: string,
  password: string,
  code: string,
  method: 'totp' | 'email' | 'recovery_code' = 'totp',
): Promise<LightMyRequestResponse> {
  const first = await login(app, username, password);
  const { challengeId } = body<{ challengeId: string }>(first);
  if (!challengeId) throw new Error(`expected a challenge: ${first.body}`);
  return post(app, '/api/v1/auth/login/second-factor', { challengeId, method, code });
}
