import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/flows/bootstrap-admin.ts';
import { buildApp, createLogger } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/runtime/services.ts';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  body,
  createTestEnvironment,
  TEST_PASSWORD_HASHER,
  post,
  type TestEnvironment,
  codesAt, createTestClock,
} from '../support/harness.ts';
import { containsToken, wrongCode } from '../support/security.ts';

// Logs are read by more people and kept longer than the database: the most verbose level must
// still hold no password, code, secret, token or challenge id, whatever a request carried.
describe.each(DIALECTS)('logging (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let environment: TestEnvironment;
  let services: Services;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    environment = createTestEnvironment(dialect);
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    services = await createServices(environment.config, { log: logger, clock, passwordHasher: TEST_PASSWORD_HASHER });
    await bootstrapAdmin(services.flows, environment.config.adminPassword);
    app = await buildApp({ flows: services.flows, poolStats: services.database.poolStats, logger });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await services.close();
    await environment.dropDatabase();
  });

  it('writes request logs at trace level that contain none of the flow\'s credentials', async () => {
    const secrets: string[] = [ADMIN_PASSWORD];
    const remember = <T extends string>(value: T): T => {
      secrets.push(value);
      return value;
    };
    const send = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method, url, payload: payload as never, headers: { 'user-agent': 'log-test', ...headers } });

    const admin = remember(body<{ token: string }>(await post(app, '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' })).token);
    const password = remember('log-test-password-1');
    expect((await post(app, '/api/v1/me/reauth', { password: ADMIN_PASSWORD }, admin)).statusCode).toBe(200);
    expect((await post(app, '/api/v1/admin/users', { username: 'logged-user', password, email: 'logged@example.com' }, admin)).statusCode).toBe(201);

    remember('a-wrong-password-typed');
    expect((await post(app, '/api/v1/auth/login', { username: 'logged-user', password: 'a-wrong-password-typed', client: 'web' })).statusCode).toBe(401);
    // Someone types the password into the username field.
    expect((await post(app, '/api/v1/auth/login', { username: password, password: 'x-x-x-x-x', client: 'web' })).statusCode).toBe(401);
    // A malformed body that carries the password.
    const broken = await send('POST', '/api/v1/auth/login', `{"username":"logged-user","password":"${password}",`, { 'content-type': 'application/json' });
    expect(broken.statusCode).toBe(400);

    const web = await post(app, '/api/v1/auth/login', { username: 'logged-user', password, client: 'web' });
    expect(body(web)).not.toHaveProperty('token');
    const token = remember(/^twofold_session=([^;]+)/.exec(String(web.headers['set-cookie']))![1]!);
    const cookie = `twofold_session=${token}`;
    expect((await send('GET', '/api/v1/me', undefined, { cookie })).statusCode).toBe(200);
    expect((await send('POST', '/api/v1/me/reauth', { password }, { cookie, 'x-csrf-protection': '1' })).statusCode).toBe(200);
    const setup = await send('POST', '/api/v1/me/two-factor/totp/setup', {}, { cookie, 'x-csrf-protection': '1' });
    const secret = remember(body<{ secret: string }>(setup).secret);
    const codes = codesAt(secret, clock());
    for (const code of [codes.previous, codes.current, codes.next]) remember(code);
    const enable = await send('POST', '/api/v1/me/two-factor/totp/enable', { code: codes.previous }, { cookie, 'x-csrf-protection': '1' });
    expect(enable.statusCode).toBe(200);
    for (const code of body<{ recoveryCodes: string[] }>(enable).recoveryCodes) remember(code);

    const challenge = await post(app, '/api/v1/auth/login', { username: 'logged-user', password, client: 'mobile' });
    const challengeId = remember(body<{ challengeId: string }>(challenge).challengeId);
    const bad = remember(wrongCode(secret, clock()));
    expect((await post(app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: bad })).statusCode).toBe(401);
    const second = await post(app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code: codes.current });
    expect(second.statusCode).toBe(200);
    const mobile = remember(body<{ token: string }>(second).token);
    // Unknown or broken bearer values are credentials too, as far as a log is concerned.
    const bogus = remember('Zm9yZ2VkLXRva2VuLXZhbHVlLTAxMjM0NTY3ODk');
    expect((await send('GET', '/api/v1/me', undefined, { authorization: `Bearer ${bogus}` })).statusCode).toBe(401);

    const newPassword = remember('log-test-password-2');
    const change = await send('PUT', '/api/v1/me/password', { currentPassword: password, newPassword }, { authorization: `Bearer ${mobile}` });
    expect(change.statusCode).toBe(200);
    expect((await send('POST', '/api/v1/auth/logout', {}, { authorization: `Bearer ${mobile}` })).statusCode).toBe(200);

    // The password flows: an administrator's reset, the forced change, the reset link (its token
    // travels in the URL of the page it opens).
    const reset = await post(app, '/api/v1/admin/users/logged-user/password', {}, admin);
    const generated = remember(body<{ password: string }>(reset).password);
    const step = await post(app, '/api/v1/auth/login', { username: 'logged-user', password: generated, client: 'desktop' });
    const passwordChangeToken = remember(body<{ passwordChangeToken: string }>(step).passwordChangeToken);
    const chosen = remember('log-test-password-3');
    expect((await post(app, '/api/v1/auth/password-change', { passwordChangeToken, newPassword: chosen })).statusCode).toBe(200);
    const linkToken = remember('bGluay10b2tlbi1mb3ItdGhlLWxvZy10ZXN0LTAwMQ');
    await send('GET', `/reset-password?token=${linkToken}`, undefined, { accept: 'text/html' });
    expect((await post(app, `/api/v1/auth/password-reset/confirm?token=${linkToken}`, { token: linkToken, newPassword: chosen })).statusCode).toBe(401);

    // The capture works: every request was logged, at trace and info level, as JSON.
    expect(lines.length).toBeGreaterThan(30);
    const records = lines.map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string } });
    expect(records.some((r) => r.msg === 'incoming request' && r.req?.url === '/api/v1/auth/login/second-factor')).toBe(true);
    expect(records.some((r) => r.msg === 'request completed')).toBe(true);

    const log = lines.join('');
    for (const value of secrets) {
      expect(containsToken(log, value), `the log contains ${value}`).toBe(false);
    }
  });
});
