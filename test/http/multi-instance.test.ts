import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, POSTGRES_URL, codesAt, createTestEnvironment, totpCode, type TestEnvironment } from '../support/harness.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { call, startTestServer, type TestServerInstance } from '../support/processes.ts';

// Three real server processes behind no load balancer but a round-robin in the test, sharing
// one PostgreSQL schema and one master key: every guarantee must hold across them.
// Their clocks are the clock seam of test/support/test-server.ts (the real time plus an offset the
// test sets): before each test every instance moves to 1 s into a step no test has used, so the
// test's codes stay valid for 29 s without waiting for a step.
describe('several instances on one PostgreSQL', () => {
  let environment: TestEnvironment;
  let instances: TestServerInstance[];
  const at = (i: number) => instances[i % instances.length]!.url;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  beforeAll(async () => {
    environment = createTestEnvironment('postgres', { TWOFOLD_MASTER_KEY: randomBytes(32).toString('hex') });
    // Started together on an empty schema: migrations and the first-start admin race on purpose.
    instances = await Promise.all([0, 1, 2].map(() => startTestServer(environment.env)));
  }, 90_000);

  beforeEach(async () => {
    const now = clock();
    offsetMs += (Math.floor(now / 30_000) + 1) * 30_000 + 1_000 - now;
    const nows = await Promise.all(instances.map((i) => i.setClockOffset(offsetMs)));
    for (const instanceNow of nows) expect(Math.floor(instanceNow / 30_000)).toBe(Math.floor(clock() / 30_000));
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop('SIGKILL')));
    await environment.dropDatabase();
  });

  async function adminToken(i = 0): Promise<string> {
    const response = await call(at(i), 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } });
    const token = String(response.json.token);
    expect((await call(at(i + 1), 'POST', '/api/v1/me/reauth', { token, body: { password: ADMIN_PASSWORD } })).status).toBe(200);
    return token;
  }

  let users = 0;
  async function userWithTOTP(): Promise<{ username: string; password: string; secret: string; token: string }> {
    users += 1;
    const username = `ext${2000 + users}`;
    const password = `password-${users}-multi`;
    expect((await call(at(0), 'POST', '/api/v1/admin/users', { token: await adminToken(), body: { username, password } })).status).toBe(201);
    const token = String((await call(at(1), 'POST', '/api/v1/auth/login', { body: { username, password, client: 'mobile' } })).json.token);
    expect((await call(at(2), 'POST', '/api/v1/me/reauth', { token, body: { password } })).status).toBe(200);
    const setup = await call(at(0), 'POST', '/api/v1/me/two-factor/totp/setup', { token, body: {} });
    const secret = String(setup.json.secret);
    const enable = await call(at(1), 'POST', '/api/v1/me/two-factor/totp/enable', { token, body: { code: totpCode(secret, -1, clock()) } });
    expect(enable.status).toBe(200);
    return { username, password, secret, token };
  }

  async function challenge(i: number, username: string, password: string): Promise<string> {
    const response = await call(at(i), 'POST', '/api/v1/auth/login', { body: { username, password, client: 'desktop' } });
    expect(response.json.status).toBe('second_factor_required');
    return String(response.json.challengeId);
  }

  it('ran the migrations and created the administrator exactly once', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const schema = environment.env.TWOFOLD_DATABASE_SCHEMA!;
      const admins = await client.query(`select count(*)::int as n from ${schema}.users where username = 'admin'`);
      expect(admins.rows[0].n).toBe(1);
      const migrations = await client.query(`select count(*)::int as n from ${schema}.kysely_migration`);
      expect(migrations.rows[0].n).toBe(Object.keys(await migrationProvider.getMigrations()).length);
    } finally {
      await client.end();
    }
    for (const instance of instances) expect((await call(instance.url, 'GET', '/readyz')).status).toBe(200);
  });

  it('accepts one valid code exactly once when it is sent 20 times in parallel across instances', async () => {
    const user = await userWithTOTP();
    const codes = codesAt(user.secret, clock());
    // Challenges are made one after another: a burst of password checks for ONE username holds
    // that username's attempt slots while in flight (see docs/security.md); the codes go in parallel.
    const challenges: string[] = [];
    for (let i = 0; i < 20; i++) challenges.push(await challenge(i, user.username, user.password));
    const results = await Promise.all(
      challenges.map((challengeId, i) =>
        call(at(i), 'POST', '/api/v1/auth/login/second-factor', { body: { challengeId, method: 'totp', code: codes.current } }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // The other 19 are refused: as a spent code (401), or, since replays count as wrong codes and
    // in-flight checks hold the account's attempt slots, by the attempt limit (429).
    const refused = results.filter((r) => r.status !== 200).map((r) => (r.json.error as { code: string }).code);
    expect(refused).toHaveLength(19);
    expect(refused.every((code) => code === 'invalid_code' || code === 'too_many_attempts')).toBe(true);
  });

  it('locks at the same count when wrong codes are spread round-robin', async () => {
    const user = await userWithTOTP();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const challengeId = await challenge(i, user.username, user.password);
      const response = await call(at(i), 'POST', '/api/v1/auth/login/second-factor', { body: { challengeId, method: 'totp', code: '000000' } });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses[9]).toBe(429);
    expect(statuses[10]).toBe(429);
    // Locked on every instance, even for the right code.
    for (let i = 0; i < 3; i++) {
      const challengeId = await challenge(i, user.username, user.password);
      const response = await call(at(i), 'POST', '/api/v1/auth/login/second-factor', {
        body: { challengeId, method: 'totp', code: totpCode(user.secret, 1, clock()) },
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(800);
    }
  });

  it("stops a removed app's codes at once on every instance", async () => {
    const user = await userWithTOTP();
    expect((await call(at(2), 'POST', '/api/v1/me/reauth', { token: user.token, body: { password: user.password, code: totpCode(user.secret, 0, clock()) } })).status).toBe(200);
    const setup = await call(at(0), 'POST', '/api/v1/me/two-factor/totp/setup', { token: user.token, body: { name: 'Tablet' } });
    const tablet = String(setup.json.secret);
    expect((await call(at(1), 'POST', '/api/v1/me/two-factor/totp/enable', { token: user.token, body: { code: totpCode(tablet, -1, clock()) } })).status).toBe(200);
    expect((await call(at(2), 'POST', '/api/v1/me/reauth', { token: user.token, body: { password: user.password, code: totpCode(tablet, 0, clock()) } })).status).toBe(200);
    const listed = (await call(at(0), 'GET', '/api/v1/me/authenticators', { token: user.token })).json.authenticators as { id: string; name: string }[];
    expect(listed.map((a) => a.name)).toEqual(['Authenticator app', 'Tablet']);
    expect((await call(at(0), 'DELETE', `/api/v1/me/authenticators/${listed[0]!.id}`, { token: user.token })).status).toBe(200);
    // The removed app's next code was never used, and was valid a moment ago: now refused everywhere.
    for (const i of [1, 2, 0]) {
      const challengeId = await challenge(i, user.username, user.password);
      const refused = await call(at(i), 'POST', '/api/v1/auth/login/second-factor', { body: { challengeId, method: 'totp', code: totpCode(user.secret, 1, clock()) } });
      expect(refused.status).toBe(401);
      expect((refused.json.error as { code: string }).code).toBe('invalid_code');
    }
    const challengeId = await challenge(2, user.username, user.password);
    expect((await call(at(2), 'POST', '/api/v1/auth/login/second-factor', { body: { challengeId, method: 'totp', code: totpCode(tablet, 1, clock()) } })).status).toBe(200);
  });

  it('shares sessions: made on one, valid on all; logout and admin reset take effect everywhere at once', async () => {
    const username = `ext${3000 + users++}`;
    const password = 'shared-session-password';
    await call(at(0), 'POST', '/api/v1/admin/users', { token: await adminToken(), body: { username, password } });
    const a = String((await call(at(0), 'POST', '/api/v1/auth/login', { body: { username, password, client: 'mobile' } })).json.token);
    const b = String((await call(at(1), 'POST', '/api/v1/auth/login', { body: { username, password, client: 'desktop' } })).json.token);
    for (let i = 0; i < 3; i++) expect((await call(at(i), 'GET', '/api/v1/me', { token: a })).status).toBe(200);

    expect((await call(at(2), 'POST', '/api/v1/auth/logout', { token: a, body: {} })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(at(i), 'GET', '/api/v1/me', { token: a })).status).toBe(401);

    expect((await call(at(0), 'DELETE', `/api/v1/admin/users/${username}/two-factor`, { token: await adminToken(1) })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(at(i), 'GET', '/api/v1/me', { token: b })).status).toBe(401);
  });

  it('keeps serving when one instance is killed during a login burst, and loses nothing', async () => {
    const admin = await adminToken();
    const people = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const username = `ext${4000 + i}`;
        const password = `burst-login-password-${i}`;
        expect((await call(at(i), 'POST', '/api/v1/admin/users', { token: admin, body: { username, password } })).status).toBe(201);
        return { username, password };
      }),
    );
    const victim = instances[2]!;
    const survivors = [instances[0]!.url, instances[1]!.url];
    // Ten people log in three times each, round-robin over the three instances; the third
    // instance is killed (SIGKILL: no goodbye) once the burst is under way.
    const results = await Promise.all(
      people.map(async (person, p) => {
        const outcomes: Array<{ target: string; status: number; token?: string }> = [];
        for (let round = 0; round < 3; round++) {
          const n = p * 3 + round;
          if (n === 10) victim.child.kill('SIGKILL');
          const target = n % 3 === 2 ? victim.url : survivors[n % 2]!;
          try {
            const response = await call(target, 'POST', '/api/v1/auth/login', { body: { ...person, client: 'mobile' } });
            outcomes.push({ target, status: response.status, token: response.json.token as string | undefined });
          } catch {
            outcomes.push({ target, status: 0 });
          }
        }
        return outcomes;
      }),
    );
    await victim.exited;
    const flat = results.flat();
    const toSurvivors = flat.filter((r) => r.target !== victim.url);
    expect(toSurvivors.length).toBeGreaterThan(15);
    expect(toSurvivors.map((r) => r.status)).toEqual(toSurvivors.map(() => 200));
    // Every session handed out, the killed instance's included, works on the survivors.
    const tokens = flat.filter((r) => r.status === 200 && r.token).map((r) => r.token!);
    for (const [i, token] of tokens.entries()) expect((await call(survivors[i % 2]!, 'GET', '/api/v1/me', { token })).status).toBe(200);
    // And a restarted instance rejoins with the same data.
    instances[2] = await startTestServer(environment.env, { clockOffsetMs: offsetMs });
    expect((await call(instances[2].url, 'GET', '/api/v1/me', { token: tokens[0] })).status).toBe(200);
  });

  it('writes no password, code, token or secret to its logs', async () => {
    const user = await userWithTOTP();
    const challengeId = await challenge(0, user.username, user.password);
    const code = totpCode(user.secret, 1, clock());
    await call(at(0), 'POST', '/api/v1/auth/login/second-factor', { body: { challengeId, method: 'totp', code } });
    const logs = instances.map((i) => i.output()).join('\n');
    expect(logs).toContain('request completed');
    for (const secret of [user.password, user.secret, user.token, challengeId, ADMIN_PASSWORD]) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/"code":"[0-9]{6}"/);
  });
});
