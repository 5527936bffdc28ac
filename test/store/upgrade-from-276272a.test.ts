import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { EXPIRY_INDEXES } from '../../src/store/migrations/017-expiry-indexes.ts';
import { resealAuthenticatorSecrets } from '../../src/store/upgrades/reseal-authenticator-secrets.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';
import {
  DIALECTS,
  body,
  createMailCapture,
  createTestClock,
  login,
  loginWithCode,
  post,
  startTestApp,
  totpCode,
  type TestApp,
  type TestEnvironment,
} from '../support/harness.ts';

// Migration 005 and its re-sealing step on databases made by the release before it (276272a),
// through that release's own flows (test/fixtures/release-276272a/make-fixture.ts). Every user
// must still log in exactly as before, with replay state kept, on both dialects.
describe.each(DIALECTS)('upgrade from release 276272a (%s)', (dialect) => {
  const manifest = readManifest(dialect);
  const alice = manifest.users.alice!;
  const dave = manifest.users.dave!;
  const bob = manifest.users.bob!;
  // Still inside the step alice and dave last used: that code must be refused as used.
  const clock = createTestClock(alice.lastUsedAt! + 5_000);
  const mail = createMailCapture();
  let environment: TestEnvironment;
  let t: TestApp;

  const snapshot = async () => {
    const db = t.services.database.db;
    return {
      authenticators: await db.selectFrom('authenticators').selectAll().orderBy('id').execute(),
      users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
      sessions: await db.selectFrom('sessions').selectAll().orderBy('id').execute(),
      recovery: await db.selectFrom('recovery_codes').selectAll().orderBy('user_id').orderBy('code_hash').execute(),
    };
  };

  beforeAll(async () => {
    environment = await loadFixture(dialect, manifest);
    t = await startTestApp(environment, { clock, mailer: mail });
  });
  afterAll(async () => {
    await t.close();
  });

  it('moved every TOTP secret and the email method into authenticator rows, re-sealed to each row', async () => {
    const rows = await t.services.database.db.selectFrom('authenticators').selectAll().execute();
    const byUser = async (name: string) => (await t.services.flows.store.findAccountByUsernameKey(name))!;
    for (const name of ['alice', 'dave']) {
      const account = await byUser(name);
      const [row] = rows.filter((r) => r.user_id === account.id);
      expect(row).toMatchObject({ type: 'totp', name: 'Authenticator app', legacy_sealed_secret: null });
      expect(Number(row!.last_used_step)).toBe(manifest.users[name]!.lastUsedStep);
      expect(t.services.flows.secretBox.open(row!.sealed_secret!, `authenticator:${row!.id}`)).toBe(manifest.users[name]!.secret);
      expect(t.services.flows.secretBox.open(row!.sealed_secret!, `totp:${account.id}`)).toBeNull();
      expect(account).toMatchObject({ twoFactorMethod: 'totp', authenticatorCount: 1 });
    }
    const bobAccount = await byUser('bob');
    expect(rows.filter((r) => r.user_id === bobAccount.id)).toMatchObject([{ type: 'email', sealed_secret: null }]);
    expect(bobAccount).toMatchObject({ twoFactorMethod: 'email', authenticatorCount: 1 });
    expect(await byUser('carol')).toMatchObject({ twoFactorMethod: null, authenticatorCount: 0 });
    expect(rows).toHaveLength(3);
    // Sessions from before know at least that a password made them, and when.
    const sessions = await t.services.database.db.selectFrom('sessions').selectAll().execute();
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect([s.amr, Number(s.auth_time)]).toEqual(['pwd', Number(s.created_at)]);
  });

  it('refuses the used step (replay state kept), then logs everyone in with the same app', async () => {
    for (const user of [alice, dave]) {
      const name = user === alice ? 'alice' : 'dave';
      const reused = await loginWithCode(t.app, name, user.password, totpCode(user.secret!, 0, clock()));
      expect(reused.statusCode, name).toBe(401);
      expect(body<{ error: { message: string } }>(reused).error.message).toMatch(/already used/);
    }
    clock.advance(30_000);
    for (const [name, user] of [['alice', alice], ['dave', dave]] as const) {
      const ok = await loginWithCode(t.app, name, user.password, totpCode(user.secret!, 0, clock()));
      expect(ok.statusCode, ok.body).toBe(200);
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body<{ token: string }>(ok).token}` } });
      expect(body(me)).toMatchObject({ twoFactor: { enabled: true, method: 'totp', authenticators: 1 }, session: { amr: ['pwd', 'otp', 'mfa'] } });
    }
  });

  it('keeps recovery codes: unused ones work once, the one used before stays used', async () => {
    expect((await loginWithCode(t.app, 'alice', alice.password, alice.usedRecoveryCode!, 'recovery_code')).statusCode).toBe(401);
    const fresh = alice.recoveryCodes!.find((c) => c !== alice.usedRecoveryCode)!;
    expect((await loginWithCode(t.app, 'alice', alice.password, fresh, 'recovery_code')).statusCode).toBe(200);
    expect((await loginWithCode(t.app, 'bob', bob.password, bob.recoveryCodes![0]!, 'recovery_code')).statusCode).toBe(200);
  });

  it('logs the email-method user in by emailed code, and users without two-factor by password', async () => {
    const first = await login(t.app, 'bob', bob.password);
    const { challengeId, methods } = body<{ challengeId: string; methods: string[] }>(first);
    expect(methods).toEqual(['email', 'recovery_code']);
    expect((await post(t.app, '/api/v1/auth/login/email-code', { challengeId })).statusCode).toBe(202);
    const second = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'email', code: mail.lastCode(bob.email!) });
    expect(second.statusCode, second.body).toBe(200);
    for (const name of ['carol', 'admin']) {
      expect(body(await login(t.app, name, manifest.users[name]!.password))).toMatchObject({ status: 'ok' });
    }
  });

  it('changes nothing when the upgrade runs again (directly, and on a restart)', async () => {
    const before = await snapshot();
    expect(await resealAuthenticatorSecrets(t.services.database.db, t.services.flows.secretBox)).toBe(0);
    const again = await new Migrator({
      db: t.services.database.db,
      provider: migrationProvider,
      ...(dialect === 'postgres' ? { migrationTableSchema: environment.env.TWOFOLD_DATABASE_SCHEMA! } : {}),
    }).migrateToLatest();
    expect(again.error).toBeUndefined();
    expect(again.results).toEqual([]);
    expect(await snapshot()).toEqual(before);
    await t.stop();
    t = await startTestApp(environment, { clock, mailer: mail });
    expect(await snapshot()).toEqual(before);
    clock.advance(30_000);
    expect((await loginWithCode(t.app, 'dave', dave.password, totpCode(dave.secret!, 0, clock()))).statusCode).toBe(200);
  });

  it('migration 013: sessions made by the old release, once ended, remember why', async () => {
    const db = t.services.database.db;
    const carol = (await t.services.flows.store.findAccountByUsernameKey('carol'))!;
    const old = await db.selectFrom('sessions').select(['token_hash']).where('user_id', '=', carol.id).execute();
    expect(old.length).toBeGreaterThan(0);
    await t.services.flows.store.transaction((store) => store.endSessionsOfAccount(carol.id, { reason: 'administrator', now: clock() }));
    for (const { token_hash } of old) expect(await t.services.flows.store.findSessionEnd(token_hash, clock())).toBe('administrator');
  });

  it('migration 017: the expiry sweep finds each short-lived table by an index', async () => {
    const db = t.services.database.db;
    for (const { name, table } of EXPIRY_INDEXES) {
      const found =
        dialect === 'sqlite'
          ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and name = ${name} and tbl_name = ${table}`.execute(db)
          : await sql<{ name: string }>`select indexname as name from pg_indexes where indexname = ${name} and tablename = ${table} and schemaname = current_schema()`.execute(db);
      expect(found.rows.map((r) => r.name)).toEqual([name]);
    }
  });
});
