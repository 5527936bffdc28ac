import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestClock, login, post, startTestApp, type TestApp } from '../support/harness.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';
import { enableApp, expectOk, put, sessionWithApp } from '../support/two-factor-policy.ts';

// Migration 015 (the two-factor policy, enrollment tokens, administrators' recovery codes) on
// the committed databases release 276272a made, the SQLite file and the PostgreSQL dump.
describe.each(DIALECTS)('migration 015 on the database of release 276272a (%s)', (dialect) => {
  const manifest = readManifest(dialect);
  const clock = createTestClock(manifest.users.alice!.lastUsedAt! + 60_000);
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(await loadFixture(dialect, manifest), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps every account; the policy starts off and nobody\'s clock runs; the new tables are empty', async () => {
    const accounts = await t.services.flows.store.listAccounts();
    expect(accounts.map((a) => a.username).sort()).toEqual(Object.keys(manifest.users).sort());
    expect(accounts.every((a) => a.twoFactorPolicySince === null)).toBe(true);
    expect(await t.services.flows.store.getTwoFactorPolicy()).toBeNull();
    expect(await t.services.database.db.selectFrom('enrollment_tokens').selectAll().execute()).toEqual([]);
    expect(await t.services.database.db.selectFrom('admin_recovery_codes').selectAll().execute()).toEqual([]);
    for (const [name, user] of Object.entries(manifest.users)) {
      expect(body<{ status: string }>(await login(t.app, name, user.password)).status, name).toBe(user.method === null ? 'ok' : 'second_factor_required');
    }
  });

  it('the policy then applies to the old accounts: those without two-factor are sent to the setup', async () => {
    const adminLogin = body<{ token: string }>(await login(t.app, 'admin', manifest.users.admin!.password));
    const secret = await enableApp(t.app, clock, adminLogin.token, manifest.users.admin!.password);
    const session = await sessionWithApp(t.app, clock, 'admin', manifest.users.admin!.password, secret);
    expectOk(await put(t.app, '/api/v1/admin/policy', { twoFactorRequired: 'all', gracePeriodDays: 0 }, session));
    for (const [name, user] of Object.entries(manifest.users)) {
      if (name === 'admin') continue;
      const answer = body<{ status: string }>(await login(t.app, name, user.password));
      expect(answer.status, name).toBe(user.method === null ? 'two_factor_enrollment_required' : 'second_factor_required');
    }
    const withApp = Object.entries(manifest.users).find(([name, u]) => u.method === 'totp' && name !== 'admin')![0];
    const issued = await post(t.app, `/api/v1/admin/users/${withApp}/two-factor/recovery`, {}, session);
    expect(issued.statusCode, issued.body).toBe(201);
  });
});
