import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { DIALECTS, adminToken, body, createTestEnvironment, createUser, loginToken, post, startTestApp, type TestApp, createTestClock } from '../support/harness.ts';
import { enrollTOTP, expectError, get, secondFactorKey, snapshotTables, startChallenge, userId, wrongCode } from '../support/security.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV, loginOptions, passkeyOptions, registerKey } from '../support/webauthn.ts';

// The rules every factor obeys, for keys: single-use challenges bound to what asked for them (also
// across instances and under a burst of parallel requests), the signature counter, the limit
// shared with codes, and malformed input that changes nothing.
describe.each(DIALECTS)('passkey security (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, WEBAUTHN_ENV), { clock });
    // A second instance on the same database and master key.
    other = await startTestApp(t.environment, { clock });
  });
  afterAll(async () => {
    await other.stop();
    await t.close();
  });

  async function userWithKey(options: { totp?: boolean } = {}) {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const totp = options.totp ? await enrollTOTP(t.app, token, user.password) : null;
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL });
    const registered = await registerKey(t.app, token, key, {
      password: user.password,
      ...(totp ? { secondFactor: { code: recoveryOf(totp.recoveryCodes) } } : {}),
    });
    expect(registered.response.statusCode, registered.response.body).toBe(200);
    return { ...user, token, key, keyId: registered.id, totp, id: await userId(t, user.username) };
  }

  // Each call takes a fresh recovery code (the Password window accepts one as the second factor).
  const usedRecovery = new Set<string>();
  function recoveryOf(codes: string[]): string {
    const code = codes.find((c) => !usedRecovery.has(c))!;
    usedRecovery.add(code);
    return code;
  }

  async function sessionCount(id: string): Promise<number> {
    return (await t.services.database.db.selectFrom('sessions').select('id').where('user_id', '=', id).execute()).length;
  }

  async function failures(id: string): Promise<number> {
    const row = await t.services.database.db.selectFrom('attempt_counters').select('failures').where('key', '=', secondFactorKey(id)).executeTakeFirst();
    return row ? Number(row.failures) : 0;
  }

  it('lets one assertion sent 20 times in parallel, to two instances, log in exactly once (second factor)', async () => {
    const user = await userWithKey();
    const before = await sessionCount(user.id);
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const assertion = user.key.authenticate(await loginOptions(t.app, challengeId));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? t.app : other.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: assertion })),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 200)) expect([401, 429]).toContain(r.statusCode);
    expect(await sessionCount(user.id)).toBe(before + 1);
    // A spent challenge is refused before anything is judged: the losers cost the account nothing.
    expect(await failures(user.id)).toBe(0);
  });

  it('lets one passwordless assertion sent 20 times in parallel log in exactly once', async () => {
    const user = await userWithKey();
    const before = await sessionCount(user.id);
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const assertion = user.key.authenticate(request);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(i % 2 === 0 ? t.app : other.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: assertion, client: 'desktop' }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    // The losers find the challenge spent (401), or no free attempt slot while the others are
    // being checked (429: the slot protocol lets no burst check more than the limit at once).
    for (const r of results.filter((r) => r.statusCode !== 200)) {
      expect([401, 429]).toContain(r.statusCode);
      if (r.statusCode === 401) expectError(r, 401, 'invalid_credentials');
    }
    expect(await sessionCount(user.id)).toBe(before + 1);
  });

  it('refuses a challenge used twice, and an earlier challenge once the same login asked again', async () => {
    const user = await userWithKey();
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const first = await loginOptions(t.app, challengeId);
    const second = await loginOptions(t.app, challengeId);
    expect(second.challenge).not.toBe(first.challenge);
    // The replaced challenge is no longer the login's.
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: user.key.authenticate(first) }), 401, 'invalid_code');
    // Not judged (it answers no live challenge), so not counted, and the live challenge stays good.
    expect(await failures(user.id)).toBe(0);
    const good = user.key.authenticate(second);
    expect((await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: good })).statusCode).toBe(200);
    // And the login itself is spent.
    expectError(await post(other.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: good }), 401, 'challenge_invalid');
  });

  it("refuses account A's key for account B's challenge, counting it", async () => {
    const alice = await userWithKey();
    const bob = await userWithKey();
    const challengeId = await startChallenge(t.app, bob.username, bob.password);
    const options = await loginOptions(t.app, challengeId);
    // Alice's authenticator answers Bob's challenge with her own credential.
    const foreign = alice.key.authenticate({ ...options, allowCredentials: [] });
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: foreign }), 401, 'invalid_code');
    expect(await failures(bob.id)).toBe(1);
    expect(await sessionCount(bob.id)).toBe(1);
  });

  it('refuses a counter that went backwards and audits it as webauthn.counter_regression', async () => {
    const user = await userWithKey();
    for (let i = 0; i < 2; i++) {
      const challengeId = await startChallenge(t.app, user.username, user.password);
      expect((await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: user.key.authenticate(await loginOptions(t.app, challengeId)) })).statusCode).toBe(200);
    }
    // A clone of the key still at counter 1, while the server has seen 2.
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const cloned = user.key.authenticate(await loginOptions(t.app, challengeId), { counter: 1 });
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: cloned }), 401, 'invalid_code');
    expect(await failures(user.id)).toBe(1);

    const admin = await adminToken(t.app);
    const events = body<{ events: { type: string; outcome: string; detail: Record<string, unknown> | null }[] }>(
      await get(t.app, `/api/v1/admin/audit-events?limit=50&username=${user.username}`, admin),
    ).events;
    const regression = events.find((e) => e.type === 'webauthn.counter_regression');
    expect(regression).toMatchObject({ outcome: 'failure', detail: { authenticator_id: user.keyId, counter: 1, stored_counter: 2 } });
  });

  it('shares the second-factor limit with codes: 9 wrong codes and one failed assertion lock the account', async () => {
    const user = await userWithKey({ totp: true });
    const secret = user.totp!.secret;
    const challengeId = await startChallenge(t.app, user.username, user.password);
    // The login challenge allows 5 tries; new logins carry on against the same account limit.
    let current = challengeId;
    for (let i = 0; i < 9; i++) {
      if (i % 4 === 0 && i > 0) current = await startChallenge(t.app, user.username, user.password);
      expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: current, method: 'totp', code: wrongCode(secret, clock(), i) }), 401, 'invalid_code');
    }
    expect(await failures(user.id)).toBe(9);
    const last = await startChallenge(t.app, user.username, user.password);
    const bad = user.key.authenticate(await loginOptions(t.app, last), { badSignature: true });
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: last, method: 'webauthn', response: bad }), 429, 'too_many_attempts');
    // Locked for every factor now, the right key included, and passwordless too.
    const next = await startChallenge(t.app, user.username, user.password).catch(() => null);
    if (next !== null) {
      const good = user.key.authenticate(await loginOptions(t.app, next));
      expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: next, method: 'webauthn', response: good }), 429, 'too_many_attempts');
    }
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: user.key.authenticate(request), client: 'desktop' }), 429, 'too_many_attempts');
  });

  it('counts a failed passwordless assertion for a known key against that account', async () => {
    const user = await userWithKey();
    const { passkeyChallengeId, ...request } = await passkeyOptions(t.app);
    const bad = user.key.authenticate(request, { badSignature: true });
    expectError(await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: bad, client: 'desktop' }), 401, 'invalid_credentials');
    expect(await failures(user.id)).toBe(1);
  });

  it('answers malformed assertions with 400, using up no challenge and no attempt, changing nothing', async () => {
    const user = await userWithKey();
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const options: PublicKeyCredentialRequestOptionsJSON = await loginOptions(t.app, challengeId);
    const good = user.key.authenticate(options);
    const malformed: unknown[] = [
      { ...good, id: 'not base64url!' },
      { ...good, response: { ...good.response, signature: 'x'.repeat(5000) } },
      { ...good, response: { ...good.response, clientDataJSON: 42 } },
      { ...good, type: 'password' },
      { ...good, unexpected: true },
      { id: good.id },
    ];
    const before = await snapshotTables(t);
    for (const response of malformed) {
      expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response }), 400, 'validation_error');
    }
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', code: '123456' }), 400, 'validation_error');
    expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', response: good }), 400, 'validation_error');
    expect(await snapshotTables(t)).toEqual(before);
    // The challenge is still good.
    expect((await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response: good })).statusCode).toBe(200);
  });

  it('refuses an assertion from a foreign origin or for another RP ID as a counted invalid_code', async () => {
    const user = await userWithKey();
    for (const overrides of [{ origin: 'https://phish.example' }, { rpId: 'phish.example' }]) {
      const challengeId = await startChallenge(t.app, user.username, user.password);
      const response = user.key.authenticate(await loginOptions(t.app, challengeId), overrides);
      expectError(await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response }), 401, 'invalid_code');
    }
    expect(await failures(user.id)).toBe(2);
  });
});
