import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, bearer, body, createTestClock, login, post, startTestApp, totpCode, type TestApp } from '../support/harness.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';

// Migration 014 (devices, sessions.second_factor and device_id, login_challenges.device_id) on
// the databases release 276272a made: nobody is lost, old sessions still authenticate and say
// what they can about their second step, and trust works from the first login after it.
describe.each(DIALECTS)('migration 014 on the database of release 276272a (%s)', (dialect) => {
  const manifest = readManifest(dialect);
  const clock = createTestClock(manifest.users.alice!.lastUsedAt! + 60_000);
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(await loadFixture(dialect, manifest), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts with no devices; sessions made before it keep working and read as secondFactor null or "unknown"', async () => {
    const db = t.services.database.db;
    expect(await db.selectFrom('devices').selectAll().execute()).toEqual([]);
    const sessions = await db.selectFrom('sessions').select(['id', 'user_id', 'amr', 'second_factor', 'device_id']).execute();
    expect(sessions.every((s) => s.second_factor === null && s.device_id === null)).toBe(true);
    for (const row of sessions) {
      const [listed] = (await t.services.flows.store.listSessions(row.user_id, clock())).filter((s) => s.id === row.id);
      if (listed === undefined) continue; // expired since the fixture was made
      expect(listed.secondFactor).toBe(row.amr.split(' ').includes('mfa') ? 'unknown' : null);
      expect(listed.deviceId).toBeNull();
    }
  });

  it('everyone logs in as before; an old account with an app can trust a device at once', async () => {
    for (const [name, user] of Object.entries(manifest.users)) {
      const json = body<{ status: string }>(await login(t.app, name, user.password));
      expect(json.status, name).toBe(user.method === null ? 'ok' : 'second_factor_required');
    }
    const alice = manifest.users.alice!;
    const first = body<{ challengeId: string }>(await login(t.app, 'alice', alice.password));
    const second = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: first.challengeId, method: 'totp', code: totpCode(alice.secret!, 0, clock()), trustDevice: true });
    expect(second.statusCode, second.body).toBe(200);
    const { deviceToken } = body<{ deviceToken: string }>(second);
    const next = body<{ status: string; token: string }>(await post(t.app, '/api/v1/auth/login', { username: 'alice', password: alice.password, client: 'desktop', deviceToken }));
    expect(next.status).toBe('ok');
    const me = body<{ session: { secondFactor: string } }>(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(next.token) }));
    expect(me.session.secondFactor).toBe('trusted_device');
  });
});
