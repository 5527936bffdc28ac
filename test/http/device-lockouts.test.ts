import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { DIALECTS, adminToken, bearer, body, createTestClock, createTestEnvironment, createUser, startTestApp, type TestApp } from '../support/harness.ts';

// Lockouts that hold off guessers, not owners (issue 11). Wrong passwords from anywhere spend
// the username's unknown-device budget and the address's; a known device of the account has a
// budget of its own, so the owner's clients keep logging in with the right password. Both kinds
// of lock answer alike, so a guesser cannot tell whether a token it holds counts.
const START = Date.UTC(2027, 3, 5, 10, 0, 0);
const MINUTE = 60_000;

interface Answer {
  status?: string;
  token?: string;
  deviceToken?: string;
  error?: { code: string; message: string };
}
interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Answer;
}

/** The wait stripped: the one part in which two lock answers may differ. */
function withoutWait(message: string): string {
  return message.replace(/\d+ (seconds?|minutes|hours)/, '{wait}');
}

describe.each(DIALECTS)('lockouts an outsider cannot use against a user (%s)', (dialect) => {
  const clock = createTestClock(START);
  let t: TestApp;
  let origin: string;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect, { TWOFOLD_TRUST_PROXY_HOPS: '0' }), { clock });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A real HTTP login over a socket bound to `localAddress` (a loopback address of its own). */
  function loginFrom(localAddress: string, payload: object): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(payload);
      const req = httpRequest(
        `${origin}/api/v1/auth/login`,
        { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  const injectLogin = (payload: object, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress });

  /** An account whose owner logged in once on the desktop: that client is a known device. */
  async function ownerWithKnownDesktop(): Promise<{ username: string; password: string; deviceToken: string }> {
    const user = await createUser(t.app);
    const first = body<Answer>(await injectLogin({ ...user, client: 'desktop' }, '10.1.1.1'));
    expect(first.deviceToken).toBeDefined();
    return { ...user, deviceToken: first.deviceToken! };
  }

  it('12 wrong passwords from 12 addresses: the owner\'s known device logs in at once with the right password, an unknown device is locked', async () => {
    const owner = await ownerWithKnownDesktop();
    const answers: Raw[] = [];
    for (let i = 0; i < 12; i++) {
      answers.push(await loginFrom(`127.0.0.${10 + i}`, { username: owner.username, password: `guess-number-${i}`, client: 'desktop' }));
    }
    // Ten wrong, then the username's unknown-device budget is spent.
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(401));
    expect(answers.slice(10).map((a) => a.status)).toEqual([429, 429]);
    expect(answers[11]!.json.error!.code).toBe('too_many_attempts');
    expect(Number(answers[11]!.headers['retry-after'])).toBeGreaterThan(800);

    // An unknown device with the right password is refused, from any address...
    const unknown = await loginFrom('127.0.0.40', { username: owner.username, password: owner.password, client: 'desktop' });
    expect(unknown.status).toBe(429);
    expect(unknown.json.token).toBeUndefined();
    // ...and the owner's desktop is not: its own budget is untouched.
    const known = await loginFrom('127.0.0.41', { username: owner.username, password: owner.password, client: 'desktop', deviceToken: owner.deviceToken });
    expect(known.status).toBe(200);
    expect(known.json.status).toBe('ok');
    expect(known.json.token).toBeDefined();
    // The known device's token is useless without the password even now.
    const guessWithToken = await loginFrom('127.0.0.42', { username: owner.username, password: 'guess-with-token', client: 'desktop', deviceToken: known.json.deviceToken });
    expect(guessWithToken.status).toBe(401);
  });

  it('12 wrong passwords from one address: the same, and the known device is not refused by that address', async () => {
    const owner = await ownerWithKnownDesktop();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await injectLogin({ username: owner.username, password: `guess-${i}`, client: 'desktop' }, '192.0.2.9')).statusCode);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    expect((await injectLogin({ ...owner, deviceToken: undefined, client: 'desktop' }, '192.0.2.9')).statusCode).toBe(429);
    const known = await injectLogin({ username: owner.username, password: owner.password, client: 'desktop', deviceToken: owner.deviceToken }, '192.0.2.9');
    expect(known.statusCode, known.body).toBe(200);
  });

  it('the per-address lock refuses unknown devices from that address, never a valid known device', async () => {
    const owner = await ownerWithKnownDesktop();
    // 100 wrong passwords from one address, over many usernames (none reaches its own budget).
    for (let i = 0; i < 100; i++) {
      const response = await injectLogin({ username: `9${String(i).padStart(3, '0')}`, password: 'spray-password-1', client: 'desktop' }, '198.51.100.7');
      expect(response.statusCode).toBe(401);
    }
    const unknown = await injectLogin({ username: owner.username, password: owner.password, client: 'desktop' }, '198.51.100.7');
    expect(unknown.statusCode).toBe(429);
    const known = await injectLogin({ username: owner.username, password: owner.password, client: 'desktop', deviceToken: owner.deviceToken }, '198.51.100.7');
    expect(known.statusCode, known.body).toBe(200);
    clock.advance(16 * MINUTE);
  });

  it("a known device's own budget: 10 wrong passwords lock that device only, answered exactly like the username's lock; administrators see and lift both", async () => {
    const owner = await ownerWithKnownDesktop();
    const withToken = (password: string) => injectLogin({ username: owner.username, password, client: 'desktop', deviceToken: owner.deviceToken }, '203.0.113.5');
    for (let i = 0; i < 10; i++) expect((await withToken(`wrong-${i}`)).statusCode).toBe(401);
    const deviceLocked = await withToken(owner.password);
    expect(deviceLocked.statusCode).toBe(429);
    // Other clients of the owner (unknown devices) still log in: the username's budget is whole.
    expect((await injectLogin({ username: owner.username, password: owner.password, client: 'mobile' }, '203.0.113.6')).statusCode).toBe(200);

    // Now spend the username's unknown-device budget too and compare the two answers.
    for (let i = 0; i < 10; i++) await injectLogin({ username: owner.username, password: `other-${i}`, client: 'mobile' }, '203.0.113.7');
    const usernameLocked = await injectLogin({ username: owner.username, password: owner.password, client: 'mobile' }, '203.0.113.8');
    expect(usernameLocked.statusCode).toBe(429);
    const a = body<Answer>(deviceLocked).error!;
    const b = body<Answer>(usernameLocked).error!;
    expect(a.code).toBe(b.code);
    expect(withoutWait(a.message)).toBe(withoutWait(b.message));
    expect(Object.keys(body(deviceLocked))).toEqual(Object.keys(body(usernameLocked)));
    const headerNames = (r: LightMyRequestResponse) => Object.keys(r.headers).filter((h) => h !== 'date' && h !== 'content-length').sort();
    expect(headerNames(deviceLocked)).toEqual(headerNames(usernameLocked));
    expect(deviceLocked.headers['retry-after']).toBeDefined();

    const admin = await adminToken(t.app);
    const listed = body<{ users: Array<{ username: string; passwordLockedUntil: string | null; deviceLockedUntil: string | null }> }>(
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(admin) }),
    ).users.find((u) => u.username === owner.username)!;
    expect(listed.passwordLockedUntil).not.toBeNull();
    expect(listed.deviceLockedUntil).not.toBeNull();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${owner.username}/lock`, headers: bearer(admin) })).statusCode).toBe(200);
    expect((await withToken(owner.password)).statusCode).toBe(200);
    expect((await injectLogin({ username: owner.username, password: owner.password, client: 'mobile' }, '203.0.113.8')).statusCode).toBe(200);
  });

  it("a device of another account, or of another client kind, is an unknown device: it spends the username's budget", async () => {
    const owner = await ownerWithKnownDesktop();
    const stranger = await ownerWithKnownDesktop();
    for (let i = 0; i < 10; i++) {
      await injectLogin({ username: owner.username, password: `x-${i}`, client: 'desktop', deviceToken: stranger.deviceToken }, '203.0.113.20');
    }
    expect((await injectLogin({ username: owner.username, password: owner.password, client: 'mobile', deviceToken: owner.deviceToken }, '203.0.113.21')).statusCode).toBe(429);
    expect((await injectLogin({ username: owner.username, password: owner.password, client: 'desktop', deviceToken: owner.deviceToken }, '203.0.113.21')).statusCode).toBe(200);
  });
});
