import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  bearer,
  body,
  createTestEnvironment,
  createUser,
  enableTOTP,
  loginToken,
  startTestApp,
  type TestApp,
  codesAt, createTestClock,
} from '../support/harness.ts';
import { answerChallenge, enrollTOTP, expectError, get, startChallenge, userId } from '../support/security.ts';

// A code is good for one use (RFC 6238 §5.2) and a challenge for one session, however many
// requests race for them: the database's guarded updates decide, not process memory.
describe.each(DIALECTS)('replays and races (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function userWithTOTP() {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const enrolled = await enrollTOTP(t.app, token, user.password);
    return { ...user, ...enrolled, id: await userId(t, user.username) };
  }

  async function sessionCount(id: string): Promise<number> {
    const rows = await t.services.database.db.selectFrom('sessions').select('id').where('user_id', '=', id).execute();
    return rows.length;
  }

  it('lets one valid code submitted 20 times in parallel on 20 challenges log in exactly once', async () => {
    const user = await userWithTOTP();
    const challenges: string[] = [];
    for (let i = 0; i < 20; i++) challenges.push(await startChallenge(t.app, user.username, user.password));
    const before = await sessionCount(user.id);
    const { current } = codesAt(user.secret, clock());
    const responses = await Promise.all(challenges.map((id) => answerChallenge(t.app, id, current)));
    const winners = responses.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((r) => r.statusCode !== 200)) {
      // Refused as a spent code, or (after 10 such refusals) by the account lock.
      expect([401, 429]).toContain(loser.statusCode);
      expect(['invalid_code', 'too_many_attempts']).toContain(body<{ error: { code: string } }>(loser).error.code);
      expect(loser.body).not.toContain('"token"');
    }
    expect(await sessionCount(user.id)).toBe(before + 1);
    const token = body<{ token: string }>(winners[0]!).token;
    expect((await get(t.app, '/api/v1/me', token)).statusCode).toBe(200);
  });

  it('gives one challenge answered with two different valid codes in parallel exactly one session', async () => {
    const user = await userWithTOTP();
    // A minute after enrolling (the clock seam), the previous, current and next steps are all fresh.
    clock.advance(60_000);
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const before = await sessionCount(user.id);
    const codes = codesAt(user.secret, clock());
    const [older, newer] = await Promise.all([answerChallenge(t.app, challengeId, codes.previous), answerChallenge(t.app, challengeId, codes.next)]);
    const statuses = [older!.statusCode, newer!.statusCode].sort();
    expect(statuses[0]).toBe(200);
    expect(statuses[1]).toBe(401);
    const loser = older!.statusCode === 200 ? newer! : older!;
    expect(['challenge_invalid', 'invalid_code']).toContain(body<{ error: { code: string } }>(loser).error.code);
    expect(await sessionCount(user.id)).toBe(before + 1);
    // The challenge is spent: even a third valid code cannot use it again.
    expectError(await answerChallenge(t.app, challengeId, codes.next), 401, 'challenge_invalid');
  });

  it('accepts a recovery code once, reports 9 left, and refuses it the second time', async () => {
    const user = await userWithTOTP();
    const [code] = user.recoveryCodes;
    expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    const first = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), code!, 'recovery_code');
    expect(first.statusCode).toBe(200);
    const session = body<{ status: string; token: string; recoveryCodesLeft: number }>(first);
    expect(session.status).toBe('ok');
    expect(session.recoveryCodesLeft).toBe(9);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(session.token) });
    expect(body(me)).toMatchObject({ recoveryCodesLeft: 9 });

    // Written in lower case without the dash: the same code, still spent.
    const again = await answerChallenge(
      t.app,
      await startChallenge(t.app, user.username, user.password),
      code!.replace('-', '').toLowerCase(),
      'recovery_code',
    );
    expectError(again, 401, 'invalid_code');
    // Two parallel uses of another code: one wins.
    const other = user.recoveryCodes[1]!;
    const c1 = await startChallenge(t.app, user.username, user.password);
    const c2 = await startChallenge(t.app, user.username, user.password);
    const pair = await Promise.all([answerChallenge(t.app, c1, other, 'recovery_code'), answerChallenge(t.app, c2, other, 'recovery_code')]);
    expect(pair.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses the code that confirmed enrolment (the previous step) at login, and accepts the next one', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { codes } = await enableTOTP(t.app, token, user.password);
    const challengeId = await startChallenge(t.app, user.username, user.password, 'mobile');
    expectError(await answerChallenge(t.app, challengeId, codes.previous), 401, 'invalid_code');
    const ok = await answerChallenge(t.app, challengeId, codes.current);
    expect(ok.statusCode).toBe(200);
    // And once the current step is used, the previous one stays refused on a fresh challenge.
    expectError(await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), codes.previous), 401, 'invalid_code');
  });
});
