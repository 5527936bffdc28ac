import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, adminToken, body, createTestClock, login, startTestApp, type TestApp } from '../support/harness.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';

// An upgrade must never lose a user: migration 007 runs (after 005 and its re-sealing) on the
// committed databases release 276272a made, the SQLite file and the PostgreSQL dump.
describe.each(DIALECTS)('migration 007 on the database of release 276272a (%s)', (dialect) => {
  const manifest = readManifest(dialect);
  const clock = createTestClock(manifest.users.alice!.lastUsedAt! + 60_000);
  let t: TestApp;
  let before: { id: string; username: string; role: string; password_hash: string; session_epoch: number }[];

  beforeAll(async () => {
    const environment = await loadFixture(dialect, manifest);
    t = await startTestApp(environment, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps every account with its password, role and epoch; new columns start as "enabled, no change required"', async () => {
    const accounts = await t.services.flows.store.listAccounts();
    expect(accounts.map((a) => a.username).sort()).toEqual(Object.keys(manifest.users).sort());
    for (const account of accounts) {
      expect([account.username, account.disabled, account.passwordChangeRequired]).toEqual([account.username, false, false]);
      expect(await t.services.flows.passwords.verify(account.passwordHash, manifest.users[account.username]!.password), account.username).toBe(true);
    }
    const rows = await t.services.database.db.selectFrom('users').select(['id', 'username', 'role', 'password_hash', 'session_epoch', 'disabled', 'password_change_required']).execute();
    expect(rows.every((r) => Number(r.disabled) === 0 && Number(r.password_change_required) === 0)).toBe(true);
    before = rows.map((r) => ({ id: r.id, username: r.username, role: r.role, password_hash: r.password_hash, session_epoch: Number(r.session_epoch) }));
    expect(before.filter((r) => r.role === 'admin').map((r) => r.username)).toEqual(['admin']);
    expect(await t.services.flows.store.countActiveAdministrators()).toBe(1);
    expect(await t.services.database.db.selectFrom('password_tokens').selectAll().execute()).toEqual([]);
  });

  it('logs everyone in as before, and the new columns take effect (disable, forced change)', async () => {
    for (const [name, user] of Object.entries(manifest.users)) {
      const json = body<{ status: string }>(await login(t.app, name, user.password));
      expect(json.status, name).toBe(user.method === null ? 'ok' : 'second_factor_required');
    }
    const admin = await adminToken(t.app);
    const patch = await t.app.inject({ method: 'PATCH', url: '/api/v1/admin/users/carol', payload: { disabled: true }, headers: { authorization: `Bearer ${admin}` } });
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await login(t.app, 'carol', manifest.users.carol!.password)).statusCode).toBe(401);
    const reset = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/alice/password', payload: {}, headers: { authorization: `Bearer ${admin}` } });
    expect(reset.statusCode, reset.body).toBe(200);
    const { password } = body<{ password: string }>(reset);
    expect(body(await login(t.app, 'alice', password))).toMatchObject({ status: 'password_change_required' });
    // The others are as they were.
    const after = await t.services.database.db.selectFrom('users').select(['id', 'username', 'role', 'password_hash', 'session_epoch']).execute();
    for (const row of before.filter((r) => r.username !== 'alice' && r.username !== 'carol')) {
      expect(after.find((r) => r.id === row.id)).toMatchObject({ ...row, session_epoch: expect.anything() });
      expect(Number(after.find((r) => r.id === row.id)!.session_epoch)).toBe(row.session_epoch);
    }
  });
});
