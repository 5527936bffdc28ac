import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, adminToken, body, createTestEnvironment, createUser, enableTOTP, login, loginToken, startTestApp, type TestApp, createTestClock } from '../support/harness.ts';
import { del } from '../support/security.ts';

const RESET_NOTICE = /^An administrator turned off two-factor authentication for your account\./;

// Issue 13 #10: a user whose two-factor an administrator turned off hears it at the next login,
// from the server (so every client can show it), once.
describe.each(DIALECTS)('login notices (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  const notice = async (username: string, password: string): Promise<string | undefined> => {
    const response = await login(t.app, username, password);
    expect(response.statusCode).toBe(200);
    const json = body<{ status: string; notice?: string }>(response);
    expect(json.status).toBe('ok');
    return json.notice;
  };

  it('tells of an administrator reset at the first login after it, and only then', async () => {
    const user = await createUser(t.app);
    await enableTOTP(t.app, await loginToken(t.app, user.username, user.password), user.password);
    const admin = await adminToken(t.app);
    // The reset comes a second after the last login, and the next login a second after it (the clock seam).
    clock.advance(1_000);
    expect((await del(t.app, `/api/v1/admin/users/${encodeURIComponent(user.username)}/two-factor`, admin)).statusCode).toBe(200);
    clock.advance(1_000);

    expect(await notice(user.username, user.password)).toMatch(RESET_NOTICE);
    clock.advance(1_000);
    expect(await notice(user.username, user.password)).toBeUndefined();
  });

  it('says nothing to an account an administrator never touched, or whose reset found two-factor off', async () => {
    const user = await createUser(t.app);
    expect(await notice(user.username, user.password)).toBeUndefined();
    const admin = await adminToken(t.app);
    // Resetting an account without two-factor changes nothing for its owner: nothing to tell.
    await del(t.app, `/api/v1/admin/users/${encodeURIComponent(user.username)}/two-factor`, admin);
    expect(await notice(user.username, user.password)).toBeUndefined();
  });
});
