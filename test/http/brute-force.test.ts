import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestEnvironment, createUser, login, loginToken, startTestApp, totpCode, type TestApp, createTestClock } from '../support/harness.ts';
import {
  answerChallenge,
  enrollTOTP,
  expectError,
  secondFactorKey,
  startChallenge,
  userId,
  wrongCode,
} from '../support/security.ts';

// Guessing a 6-digit code must stay hopeless: few guesses per challenge, few per account, counted
// in the database so that restarts, parallel bursts and other instances change nothing.
describe.each(DIALECTS)('brute-force limits (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function userWithTOTP(): Promise<{ username: string; password: string; secret: string; id: string }> {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);
    return { ...user, secret, id: await userId(t, user.username) };
  }

  async function secondFactorFailures(id: string): Promise<number> {
    const events = await t.services.flows.store.listAuditEvents({ limit: 500, userId: id });
    return events.filter((e) => e.type === 'login.second_factor' && e.outcome === 'failure').length;
  }

  function retryAfter(response: { headers: Record<string, unknown> }): number {
    return Number(response.headers['retry-after']);
  }

  it('voids a challenge after 5 wrong codes: the 6th answer is refused even with the right code', async () => {
    const user = await userWithTOTP();
    const challengeId = await startChallenge(t.app, user.username, user.password);
    for (let i = 0; i < 5; i++) {
      expectError(await answerChallenge(t.app, challengeId, wrongCode(user.secret, clock(), i)), 401, 'invalid_code');
    }
    expectError(await answerChallenge(t.app, challengeId, totpCode(user.secret, 0, clock())), 401, 'challenge_invalid');
    // The void challenge did not check (or spend) the right code, nor count a 6th failure.
    expect(await secondFactorFailures(user.id)).toBe(5);
    const fresh = await startChallenge(t.app, user.username, user.password);
    expect((await answerChallenge(t.app, fresh, totpCode(user.secret, 0, clock()))).statusCode).toBe(200);
  });

  it('locks the second factor after 10 failures across challenges, refuses the right code, keeps the lock over a restart and doubles it next time', async () => {
    const user = await userWithTOTP();
    const first = await startChallenge(t.app, user.username, user.password);
    for (let i = 0; i < 5; i++) expectError(await answerChallenge(t.app, first, wrongCode(user.secret, clock(), i)), 401, 'invalid_code');
    const second = await startChallenge(t.app, user.username, user.password);
    for (let i = 0; i < 4; i++) expectError(await answerChallenge(t.app, second, wrongCode(user.secret, clock(), i)), 401, 'invalid_code');

    // The 10th failure locks for 15 minutes.
    const tenth = await answerChallenge(t.app, second, wrongCode(user.secret, clock(), 9));
    expectError(tenth, 429, 'too_many_attempts');
    expect(retryAfter(tenth)).toBeGreaterThanOrEqual(890);
    expect(retryAfter(tenth)).toBeLessThanOrEqual(900);

    // A correct code on a brand-new challenge is refused the same way, and not spent.
    const third = await startChallenge(t.app, user.username, user.password);
    const rightCode = totpCode(user.secret, 0, clock());
    const refused = await answerChallenge(t.app, third, rightCode);
    expectError(refused, 429, 'too_many_attempts');
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(880);
    expect(retryAfter(refused)).toBeLessThanOrEqual(900);
    expect(refused.body).not.toContain('token');

    // The lock is in the database: a restarted server still refuses.
    const environment = t.environment;
    await t.stop();
    t = await startTestApp(environment, { clock });
    const afterRestart = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), rightCode);
    expectError(afterRestart, 429, 'too_many_attempts');
    expect(retryAfter(afterRestart)).toBeGreaterThan(800);
    const events = await t.services.flows.store.listAuditEvents({ limit: 500, userId: user.id });
    expect(events.filter((e) => e.type === 'login.lockout')).toHaveLength(1);

    // The code refused while locked was not spent: the account's last used step is still the enrolment's.
    const db = t.services.database.db;
    const used = await db.selectFrom('authenticators').select('last_used_step').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(Number(used.last_used_step)).toBe(Math.floor(clock() / 30_000) - 1);

    // 15 minutes later (the clock seam) the first lock is over, and a right code works.
    clock.advance(15 * 60_000);
    const unlocked = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), totpCode(user.secret, 0, clock()));
    expect(unlocked.statusCode).toBe(200);
    expect(body(unlocked)).toMatchObject({ status: 'ok' });

    // Ten more failures: the second lock is twice as long (30 minutes).
    let last = null;
    for (let round = 0; round < 2; round++) {
      const challengeId = await startChallenge(t.app, user.username, user.password);
      for (let i = 0; i < 5; i++) last = await answerChallenge(t.app, challengeId, wrongCode(user.secret, clock(), i));
    }
    expectError(last!, 429, 'too_many_attempts');
    expect(retryAfter(last!)).toBeGreaterThanOrEqual(1790);
    expect(retryAfter(last!)).toBeLessThanOrEqual(1800);
    const counter = await db.selectFrom('attempt_counters').selectAll().where('key', '=', secondFactorKey(user.id)).executeTakeFirstOrThrow();
    expect(Number(counter.lockouts)).toBe(2);
    expect(Number(counter.locked_until) - clock()).toBe(30 * 60_000);
  });

  it('records at most 10 failures from a parallel burst of 30 wrong codes over 6 challenges', async () => {
    const user = await userWithTOTP();
    const challenges: string[] = [];
    for (let i = 0; i < 6; i++) challenges.push(await startChallenge(t.app, user.username, user.password));
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => answerChallenge(t.app, challenges[i % 6]!, wrongCode(user.secret, clock(), i))),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200)).toHaveLength(0);

    expect(await secondFactorFailures(user.id)).toBe(10);
    const events = await t.services.flows.store.listAuditEvents({ limit: 500, userId: user.id });
    expect(events.filter((e) => e.type === 'login.lockout')).toHaveLength(1);
    // Exactly the checked codes were answered "wrong" or "locked by this one"; the rest never got checked.
    const invalid = responses.filter((r) => body<{ error: { code: string } }>(r).error.code === 'invalid_code').length;
    expect(invalid).toBe(9);

    const locked = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), totpCode(user.secret, 0, clock()));
    expectError(locked, 429, 'too_many_attempts');
  });

  it('limits wrong passwords per username (the 11th is 429 even with the right password) and never throttles successful logins', async () => {
    const victim = await createUser(t.app);
    for (let i = 0; i < 10; i++) {
      // From many addresses: the per-username limit holds however the guesses are spread.
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: victim.username, password: `wrong-password-${i}`, client: 'web' },
        remoteAddress: `10.0.0.${i + 1}`,
      });
      expectError(wrong, 401, 'invalid_credentials');
    }
    const locked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: victim.username, password: victim.password, client: 'web' },
      remoteAddress: '10.0.1.1',
    });
    expectError(locked, 429, 'too_many_attempts');
    expect(retryAfter(locked)).toBeGreaterThan(800);
    expect(retryAfter(locked)).toBeLessThanOrEqual(900);
    expect(locked.headers['set-cookie']).toBeUndefined();

    // Offices share one address: 15 successful logins in a row all get in.
    const busy = await createUser(t.app);
    for (let i = 0; i < 15; i++) {
      const ok = await login(t.app, busy.username, busy.password, 'desktop');
      expect(ok.statusCode).toBe(200);
      expect(body(ok)).toMatchObject({ status: 'ok' });
    }
    // And one wrong password among them does not block the next right one.
    expectError(await login(t.app, busy.username, 'not-the-password'), 401, 'invalid_credentials');
    expect((await login(t.app, busy.username, busy.password)).statusCode).toBe(200);
  });

  it('refuses a challenge older than 5 minutes, without spending the code', async () => {
    const user = await userWithTOTP();
    const challengeId = await startChallenge(t.app, user.username, user.password);
    // 5 minutes later (the clock seam): the challenge is void, the step of `code` still accepted.
    clock.advance(5 * 60_000);
    const code = totpCode(user.secret, 0, clock());
    expectError(await answerChallenge(t.app, challengeId, code), 401, 'challenge_invalid');
    const fresh = await startChallenge(t.app, user.username, user.password);
    expect((await answerChallenge(t.app, fresh, code)).statusCode).toBe(200);
  });

  it('binds a challenge to its account: user A\'s challenge with user B\'s valid code fails', async () => {
    const a = await userWithTOTP();
    const b = await userWithTOTP();
    const challengeOfA = await startChallenge(t.app, a.username, a.password);
    const codeOfB = totpCode(b.secret, 0, clock());
    expectError(await answerChallenge(t.app, challengeOfA, codeOfB), 401, 'invalid_code');
    expect(await secondFactorFailures(a.id)).toBe(1);
    // B's code was not spent by the attempt on A's challenge.
    const challengeOfB = await startChallenge(t.app, b.username, b.password);
    const ok = await answerChallenge(t.app, challengeOfB, codeOfB);
    expect(ok.statusCode).toBe(200);
    expect(body<{ user: { username: string } }>(ok).user.username).toBe(b.username);
  });
});
