import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, bearer, body, createTestClock, login, loginToken, startTestApp, type TestApp } from '../support/harness.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';

// Migration 016 (users.language) on the committed databases of release 276272a, run with every
// migration since: no account gains a language (all keep following their browsers), everyone
// logs in as before, and a choice stored afterwards is kept across a restart.
describe.each(DIALECTS)('migration 016 on the database of release 276272a (%s)', (dialect) => {
  const manifest = readManifest(dialect);
  const clock = createTestClock(manifest.users.alice!.lastUsedAt! + 60_000);
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(await loadFixture(dialect, manifest), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('records 016 and gives every existing account no language (NULL)', async () => {
    const migrations = await t.services.database.db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute();
    expect((migrations as { name: string }[]).map((m) => m.name)).toContain('016-user-language');
    const rows = await t.services.database.db.selectFrom('users').select(['username', 'language']).execute();
    expect(rows.map((r) => r.username).sort()).toEqual(Object.keys(manifest.users).sort());
    expect(rows.every((r) => r.language === null)).toBe(true);
    for (const account of await t.services.flows.store.listAccounts()) expect(account.language).toBeNull();
  });

  it('logs everyone in as before, answering in the browser language until a choice is stored, then in the choice after a restart', async () => {
    for (const [name, user] of Object.entries(manifest.users)) {
      const json = body<{ status: string }>(await login(t.app, name, user.password));
      expect(json.status, name).toBe(user.method === null ? 'ok' : 'second_factor_required');
    }
    const plain = Object.entries(manifest.users).find(([, user]) => user.method === null);
    expect(plain).toBeDefined();
    const [name, user] = plain!;
    const token = await loginToken(t.app, name, user.password);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(body<{ language: unknown }>(me).language).toBeNull();
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/me/language', headers: bearer(token), payload: { language: 'es' } });
    expect(put.statusCode, put.body).toBe(204);

    await t.stop();
    t = await startTestApp(t.environment, { clock });
    const fresh = await loginToken(t.app, name, user.password);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(fresh) });
    expect(body<{ language: unknown }>(after).language).toBe('es');
    const wrong = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: { ...bearer(fresh), 'accept-language': 'de' },
      payload: { currentPassword: 'certainly-wrong-1', newPassword: 'another-password-9' },
    });
    expect(body<{ error: { message: string } }>(wrong).error.message).toBe('La contraseña actual es incorrecta.');
  });
});
