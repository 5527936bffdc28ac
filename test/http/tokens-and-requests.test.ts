import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { createServices } from '../../src/runtime/services.ts';
import { bootstrapAdmin } from '../../src/flows/bootstrap-admin.ts';
import {
  DIALECTS,
  bearer,
  body,
  createTestEnvironment,
  createUser,
  enableTOTP,
  login,
  loginToken,
  post,
  startTestApp,
  totpCode,
  type TestApp,
  createTestClock,
} from '../support/harness.ts';
import { expectError } from '../support/security.ts';

// Issue 10, "Tokens and requests": where the session token travels, what a caller without a
// session can learn, and that every error (the framework's own too) has the documented shape.

function cookieToken(response: LightMyRequestResponse): string | undefined {
  return /^twofold_session=([^;]+)/.exec(String(response.headers['set-cookie'] ?? ''))?.[1];
}

describe.each(DIALECTS)('tokens and requests (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives a web login its session only as the HttpOnly cookie, at the second step too; desktop and mobile get the body token', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enableTOTP(t.app, token, user.password);
    // Codes of steps the enrolment did not use, so neither counts as a replay.
    const codes = [totpCode(secret, 0, clock()), totpCode(secret, 1, clock())];

    for (const [client, code] of [['web', codes[0]!], ['mobile', codes[1]!]] as const) {
      const first = await login(t.app, user.username, user.password, client);
      expect(first.headers['set-cookie']).toBeUndefined();
      const { challengeId } = body<{ challengeId: string }>(first);
      const second = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId, method: 'totp', code });
      expect(second.statusCode).toBe(200);
      const fromCookie = cookieToken(second);
      if (client === 'web') {
        expect(fromCookie).toMatch(/^[A-Za-z0-9_-]{40,}$/);
        expect(body(second)).not.toHaveProperty('token');
        expect(second.body).not.toContain(fromCookie!);
        expect(String(second.headers['set-cookie'])).toContain('HttpOnly');
        const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `twofold_session=${fromCookie!}` } });
        expect(body(me)).toMatchObject({ username: user.username, session: { client: 'web' } });
      } else {
        expect(fromCookie).toBeUndefined();
        const mobileToken = body<{ token: string }>(second).token;
        expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(mobileToken) })).statusCode).toBe(200);
      }
    }
  });

  it('answers every authenticated route 401 before looking at the body, whatever the body', async () => {
    const routes = t.app.routeList.filter((r) => r.url.startsWith('/api/v1/') && !r.public && r.method !== 'HEAD');
    // Enumerated from the app: a new route cannot be left out. Sanity: the well-known ones are there.
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/me',
        'POST /api/v1/me/reauth',
        'POST /api/v1/admin/users',
        // The authenticator routes (issue 8) sit in the same plugin and need a session too.
        'GET /api/v1/me/authenticators',
        'PATCH /api/v1/me/authenticators/:id',
        'DELETE /api/v1/me/authenticators/:id',
        'GET /api/v1/admin/users/:username/authenticators',
        // And the passkey routes of a signed-in user (issue 9).
        'POST /api/v1/me/two-factor/webauthn/registration/options',
        'POST /api/v1/me/two-factor/webauthn/registration',
        'POST /api/v1/me/reauth/webauthn/options',
      ]),
    );
    // Only signing in is open to callers without a session.
    const open = t.app.routeList.filter((r) => r.url.startsWith('/api/v1/') && r.public).map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual([
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/login/email-code',
      'POST /api/v1/auth/login/passkey',
      'POST /api/v1/auth/login/passkey/options',
      'POST /api/v1/auth/login/second-factor',
      'POST /api/v1/auth/login/webauthn/options',
      'POST /api/v1/auth/password-change',
      'POST /api/v1/auth/password-reset',
      'POST /api/v1/auth/password-reset/confirm',
    ]);
    expect(routes.length).toBeGreaterThan(15);
    const bodies: { payload?: string; headers: Record<string, string> }[] = [
      { payload: '{"password":', headers: { 'content-type': 'application/json' } },
      { payload: 'not json at all', headers: { 'content-type': 'text/plain' } },
      { payload: '<xml/>', headers: { 'content-type': 'application/xml' } },
      { payload: '{"password":12,"code":[],"extra":true,"__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } },
      { payload: '[]', headers: { 'content-type': 'application/json' } },
      { headers: {} },
    ];
    const credentials: Record<string, string>[] = [{}, bearer('A'.repeat(43)), { cookie: `twofold_session=${'B'.repeat(43)}`, 'x-csrf-protection': '1' }];
    for (const route of routes) {
      const url = route.url.replace(/:[a-z]+/gi, 'someone');
      for (const variant of bodies) {
        for (const auth of credentials) {
          const response = await t.app.inject({ method: route.method as 'GET', url, payload: variant.payload, headers: { ...variant.headers, ...auth } });
          expectError(response, 401, 'unauthorized');
        }
      }
      // Only a too-large body may be answered before authentication (413); it must never get further.
      const huge = await t.app.inject({ method: route.method as 'GET', url, payload: `{"x":"${'a'.repeat(20_000)}"}`, headers: { 'content-type': 'application/json' } });
      expect([401, 413]).toContain(huge.statusCode);
      expect(Object.keys(body(huge))).toEqual(['error']);
    }
  });

  it('keeps validating bodies once authenticated', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/me/reauth', payload: '{"password":', headers: { ...bearer(token), 'content-type': 'application/json' } });
    expectError(response, 400, 'validation_error');
  });
});

describe('static assets and framework errors', () => {
  const environment = createTestEnvironment('sqlite');
  const webRoot = mkdtempSync(path.join(tmpdir(), 'twofold-webroot-'));
  let t: Awaited<ReturnType<typeof startServerApp>>;
  let port = 0;

  async function startServerApp() {
    const services = await createServices(environment.config);
    await bootstrapAdmin(services.flows, environment.config.adminPassword);
    const app = await buildApp({ flows: services.flows, webRoot });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, services };
  }

  beforeAll(async () => {
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Twofold</title>');
    writeFileSync(path.join(webRoot, 'app.js'), 'console.log(1)');
    t = await startServerApp();
    port = (t.app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await t.app.close();
    await t.services.close();
    rmSync(webRoot, { recursive: true, force: true });
    await environment.dropDatabase();
  });

  /** One raw HTTP exchange, so that requests no HTTP client would send can be made. */
  function raw(request: string): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head = '', text = ''] = data.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), json: text === '' ? null : JSON.parse(text) });
      });
    });
  }

  function expectShape(result: { status: number; json: unknown }, status: number, code: string): void {
    expect(result.status).toBe(status);
    const json = result.json as { error: { code: string; message: string } };
    expect(Object.keys(json)).toEqual(['error']);
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message']);
    expect(json.error.code).toBe(code);
    expect(json.error.message.length).toBeGreaterThan(0);
  }

  it('serves static files without touching the database (the session hooks belong to /api/v1)', async () => {
    // With the database gone, anything that looked up the cookie's session would fail.
    const token = await loginToken(t.app, 'admin', environment.config.adminPassword!);
    const cookie = `twofold_session=${token}`;
    await t.services.close();
    const asset = await t.app.inject({ method: 'GET', url: '/app.js', headers: { cookie } });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    const page = await t.app.inject({ method: 'GET', url: '/security', headers: { cookie, accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBeGreaterThanOrEqual(500);
    t.services = await createServices(environment.config);
  });

  it('answers errors raised before routing in the documented shape', async () => {
    const close = 'Host: 127.0.0.1\r\nConnection: close\r\n';
    expectShape(await raw(`GET /healthz HTTP/1.1\r\n${close}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers_too_large');
    expectShape(await raw(`BREW /api/v1/me HTTP/1.1\r\n${close}\r\n`), 400, 'validation_error');
    expectShape(await raw(`GET /api/v1/%zz HTTP/1.1\r\n${close}\r\n`), 400, 'validation_error');
    expectShape(await raw(`GARBAGE\r\n\r\n`), 400, 'validation_error');
    // Methods HTTP knows but no route serves on a known path: 404 in the same shape.
    for (const method of ['PATCH', 'PROPFIND', 'TRACE', 'OPTIONS', 'PUT']) {
      expectShape(await raw(`${method} /api/v1/me HTTP/1.1\r\n${close}\r\n`), 404, 'not_found');
    }
    const tooLarge = `{"username":"${'a'.repeat(20_000)}"}`;
    expectShape(
      await raw(`POST /api/v1/auth/login HTTP/1.1\r\n${close}Content-Type: application/json\r\nContent-Length: ${tooLarge.length}\r\n\r\n${tooLarge}`),
      413,
      'payload_too_large',
    );
    expectShape(await raw(`POST /api/v1/auth/login HTTP/1.1\r\n${close}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`), 415, 'unsupported_media_type');
    expectShape(await raw(`POST /api/v1/auth/login HTTP/1.1\r\n${close}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{`), 400, 'validation_error');
  });
});
