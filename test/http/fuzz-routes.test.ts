import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/flows/bootstrap-admin.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/runtime/services.ts';
import {
  describeRequest,
  exampleRequest,
  requestsFor,
  toJSONText,
  type AuthMode,
  type FuzzRequest,
  type KnownValues,
  type RouteSchemas,
} from '../support/fuzz-requests.ts';
import { ADMIN_PASSWORD, DIALECTS, TEST_PASSWORD_HASHER, body, createTestEnvironment, totpCode, type TestEnvironment } from '../support/harness.ts';
import { changedTables, listTables, snapshotEveryTable, type TableSnapshot } from '../support/tables.ts';

// Property-based fuzzing of every route the app registers. The route list comes from the app
// itself (printRoutes), so a route added later is fuzzed without anyone listing it, and the test
// fails unless every route's handler was really reached with a session. Each request is random
// JSON, wrong types, huge, unicode and NUL strings, prototype-pollution keys, random methods and
// headers, with no session, a bearer session, or the web cookie with and without the CSRF header.
// Properties: never a 5xx or a stack trace; a request refused at the edge changes no table; one
// refused by a flow for a wrong secret writes only the tables the attempt limits need.

const RUNS_PER_ROUTE = Number(process.env.TWOFOLD_FUZZ_RUNS ?? 25);

/** Refusals decided before any flow runs (shape, session, CSRF, size, type, route): nothing may change. */
const EDGE_REFUSALS = new Set(['validation_error', 'unauthorized', 'forbidden', 'not_found', 'payload_too_large', 'unsupported_media_type', 'reauth_required']);
/** A wrong password or code is counted and audited: those writes are what keeps the limits across restarts. */
const COUNTED_REFUSAL_TABLES = new Set(['attempt_counters', 'audit_events', 'login_challenges', 'email_codes', 'pending_totp_secrets']);

interface Route {
  method: string;
  url: string;
  schemas: RouteSchemas;
}

/** Parses `printRoutes({ commonPrefix: false })`: one tree line per path segment, its methods in brackets. */
function parseRouteTree(tree: string): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const marker = line.indexOf('── ');
    if (marker < 0) continue;
    const depth = (marker - 1) / 4;
    const match = /^(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(marker + 3).trim());
    if (!match) throw new Error(`cannot read route line: ${line}`);
    const url = (prefixes[depth - 1] ?? '') + match[1]!;
    prefixes[depth] = url;
    prefixes.length = depth + 1;
    for (const method of match[2]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

function parseJSON(text: string): { error?: { code?: string; message?: string } } | null {
  try {
    return JSON.parse(text) as { error?: { code?: string; message?: string } };
  } catch {
    return null;
  }
}

function cookieOf(response: LightMyRequestResponse): string {
  const header = String(response.headers['set-cookie'] ?? '');
  const match = /^(twofold_session=[^;]+)/.exec(header);
  if (!match?.[1]) throw new Error(`no session cookie: ${response.statusCode} ${response.body}`);
  return match[1];
}

describe.each(DIALECTS)('fuzzing every route (%s)', (dialect) => {
  let environment: TestEnvironment;
  let services: Services;
  let app: FastifyInstance;
  let db: Kysely<unknown>;
  let tables: string[];
  // A frozen, settable clock: codes are computed for it, no test waits for a TOTP step.
  const now = Date.now();
  const clock = () => now;

  const schemasSeen = new Map<string, RouteSchemas>();
  /** Routes whose handler ran (preHandler reached) for an authenticated request. */
  const reachedWithSession = new Set<string>();
  // Sign-in routes need no session; for them, reaching the handler at all is the coverage.
  const reachedPublic = new Set<string>();
  const requestsSent = new Map<string, number>();

  const sessions = {
    admin: { token: '', password: ADMIN_PASSWORD, username: 'admin' },
    user: { token: '', password: 'fuzz-user-password', username: 'fuzz-user' },
    web: { cookie: '', password: 'fuzz-web-password', username: 'fuzz-web' },
  };
  const target = { username: 'fuzz-target', password: 'fuzz-target-password', secret: '', recoveryCodes: [] as string[], challenges: [] as string[] };
  let sessionIds: string[] = [];

  const inject = (options: InjectOptions): Promise<LightMyRequestResponse> => app.inject(options);
  const json = (method: 'POST' | 'PUT' | 'GET', url: string, payload: unknown, headers: Record<string, string> = {}) =>
    inject({ method, url, headers, remoteAddress: '127.0.0.1', ...(payload === undefined ? {} : { payload: payload as object }) });

  async function bearerLogin(username: string, password: string): Promise<string> {
    const login = await json('POST', '/api/v1/auth/login', { username, password, client: 'desktop' });
    const token = body<{ token?: string }>(login).token;
    if (login.statusCode !== 200 || !token) throw new Error(`login ${username}: ${login.statusCode} ${login.body}`);
    const reauth = await json('POST', '/api/v1/me/reauth', { password }, { authorization: `Bearer ${token}` });
    if (reauth.statusCode !== 200) throw new Error(`reauth ${username}: ${reauth.body}`);
    return token;
  }

  async function webLogin(): Promise<string> {
    const login = await json('POST', '/api/v1/auth/login', { username: sessions.web.username, password: sessions.web.password, client: 'web' });
    const cookie = cookieOf(login);
    const reauth = await json('POST', '/api/v1/me/reauth', { password: sessions.web.password }, { cookie, 'x-csrf-protection': '1' });
    if (reauth.statusCode !== 200) throw new Error(`web reauth: ${reauth.body}`);
    return cookie;
  }

  /** The fuzzer may log a session out, end it or reset its account: a dead one is replaced before use. */
  async function ensureSession(mode: AuthMode): Promise<boolean> {
    if (mode !== 'user-bearer' && mode !== 'admin-bearer' && mode !== 'web-cookie') return false;
    const me = await inject({ method: 'GET', url: '/api/v1/me', headers: authHeaders(mode), remoteAddress: '127.0.0.1' });
    if (me.statusCode === 200) return false;
    if (mode === 'user-bearer') sessions.user.token = await bearerLogin(sessions.user.username, sessions.user.password);
    if (mode === 'admin-bearer') sessions.admin.token = await bearerLogin('admin', ADMIN_PASSWORD);
    if (mode === 'web-cookie') sessions.web.cookie = await webLogin();
    return true;
  }

  function authHeaders(mode: AuthMode): Record<string, string> {
    switch (mode) {
      case 'none':
        return {};
      case 'user-bearer':
        return { authorization: `Bearer ${sessions.user.token}` };
      case 'admin-bearer':
        return { authorization: `Bearer ${sessions.admin.token}` };
      case 'web-cookie':
        return { cookie: sessions.web.cookie, 'x-csrf-protection': '1', origin: 'http://localhost:80' };
      case 'web-cookie-no-csrf':
        return { cookie: sessions.web.cookie };
      case 'junk-bearer':
        return { authorization: `Bearer ${randomBytes(32).toString('base64url')}` };
      case 'junk-cookie':
        return { cookie: `twofold_session=${randomBytes(32).toString('base64url')}`, 'x-csrf-protection': '1' };
    }
  }

  const known: KnownValues = {
    // Not the fuzzer's own signed-in accounts: now that admin requests reach their handlers with
    // valid bodies, a password reset or a disable of one would end the sessions the fuzzer uses.
    username: () => [target.username, 'no-such-user'],
    password: () => [target.password],
    currentPassword: () => [target.password],
    challengeId: () => target.challenges,
    code: () => [totpCode(target.secret, 0, now), totpCode(target.secret, 1, now), ...target.recoveryCodes.slice(0, 2), '000000'],
    id: () => sessionIds,
    email: () => ['someone@example.com'],
  };

  beforeAll(async () => {
    environment = createTestEnvironment(dialect);
    services = await createServices(environment.config, { clock, passwordHasher: TEST_PASSWORD_HASHER });
    await bootstrapAdmin(services.flows, ADMIN_PASSWORD);
    app = await buildApp({ flows: services.flows, poolStats: services.database.poolStats });
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.url !== undefined) schemasSeen.set(`${request.method} ${request.routeOptions.url}`, (request.routeOptions.schema ?? {}) as RouteSchemas);
    });
    app.addHook('preHandler', async (request) => {
      if (request.auth !== null && request.routeOptions.url !== undefined) reachedWithSession.add(`${request.method} ${request.routeOptions.url}`);
      if (request.routeOptions.config.public === true && request.routeOptions.url !== undefined) reachedPublic.add(`${request.method} ${request.routeOptions.url}`);
    });
    await app.ready();
    db = services.database.db as unknown as Kysely<unknown>;

    sessions.admin.token = await bearerLogin('admin', ADMIN_PASSWORD);
    const admin = { authorization: `Bearer ${sessions.admin.token}` };
    for (const account of [sessions.user, sessions.web, target]) {
      const created = await json('POST', '/api/v1/admin/users', { username: account.username, password: account.password }, admin);
      expect(created.statusCode).toBe(201);
    }
    sessions.user.token = await bearerLogin(sessions.user.username, sessions.user.password);
    sessions.web.cookie = await webLogin();

    // The target has an authenticator app, recovery codes and open login challenges to attack.
    const targetToken = await bearerLogin(target.username, target.password);
    const setup = await json('POST', '/api/v1/me/two-factor/totp/setup', {}, { authorization: `Bearer ${targetToken}` });
    target.secret = body<{ secret: string }>(setup).secret;
    const enable = await json('POST', '/api/v1/me/two-factor/totp/enable', { code: totpCode(target.secret, -1, now) }, { authorization: `Bearer ${targetToken}` });
    expect(enable.statusCode).toBe(200);
    target.recoveryCodes = body<{ recoveryCodes: string[] }>(enable).recoveryCodes;
    for (let i = 0; i < 3; i++) {
      const first = await json('POST', '/api/v1/auth/login', { username: target.username, password: target.password, client: 'mobile' });
      target.challenges.push(body<{ challengeId: string }>(first).challengeId);
    }
    const listed = await json('GET', '/api/v1/me/sessions', undefined, { authorization: `Bearer ${sessions.user.token}` });
    sessionIds = body<{ sessions: Array<{ id: string }> }>(listed).sessions.map((s) => s.id);
    tables = await listTables(db, dialect);
  });

  afterAll(async () => {
    await app?.close();
    await services?.close();
    await environment?.dropDatabase();
  });

  async function send(request: FuzzRequest): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    if (request.body.contentType !== null) headers['content-type'] = request.body.contentType;
    else delete headers['content-type'];
    Object.assign(headers, authHeaders(request.auth));
    const payload =
      request.body.kind === 'none' ? undefined : request.body.kind === 'json' ? toJSONText(request.body.value) : Buffer.from(request.body.bytes);
    return inject({ method: request.method as 'GET', url: `${request.path}${request.query}`, headers, remoteAddress: request.remoteAddress, ...(payload === undefined ? {} : { payload }) });
  }

  it('enumerates the routes from the app itself', async () => {
    const routes = parseRouteTree(app.printRoutes({ commonPrefix: false }));
    // The parse is checked against the router: every line read is a route it really has.
    for (const route of routes) expect(app.hasRoute({ method: route.method as 'GET', url: route.url }), `${route.method} ${route.url}`).toBe(true);
    expect(routes).toContainEqual({ method: 'POST', url: '/api/v1/auth/login/second-factor' });
    expect(routes).toContainEqual({ method: 'DELETE', url: '/api/v1/me/sessions/:id' });
    expect(routes.length).toBeGreaterThanOrEqual(25);
  });

  it('answers every request to every route without a 5xx, and refused requests change no table', async () => {
    const listed = parseRouteTree(app.printRoutes({ commonPrefix: false }));
    // One request per route first, to learn its schemas from the route itself. It carries a session
    // (the API's session hook answers 401 before any later onRequest hook sees a route) and a body
    // that cannot be parsed, so no handler runs.
    for (const route of listed) {
      const withBody = route.method !== 'GET' && route.method !== 'HEAD';
      await inject({
        method: route.method as 'GET',
        url: route.url.replace(/:[A-Za-z]+/g, 'x'),
        remoteAddress: '127.0.0.2',
        headers: { authorization: `Bearer ${sessions.admin.token}`, ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { payload: '{' } : {}),
      });
    }
    for (const route of listed) {
      if (route.url.startsWith('/api/')) expect(schemasSeen.has(`${route.method} ${route.url}`), `schemas of ${route.method} ${route.url}`).toBe(true);
    }
    const routes: Route[] = listed.map((route) => ({ ...route, schemas: schemasSeen.get(`${route.method} ${route.url}`) ?? {} }));

    // The comparison itself can see a write: a wrong password is audited and counted.
    let before: TableSnapshot = await snapshotEveryTable(db, tables, dialect);
    await json('POST', '/api/v1/auth/login', { username: target.username, password: 'not-the-password', client: 'web' });
    expect(changedTables(before, await snapshotEveryTable(db, tables, dialect))).toEqual(['attempt_counters', 'audit_events']);
    before = await snapshotEveryTable(db, tables, dialect);
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const property = fc.asyncProperty(requestsFor(route, known), async (request) => {
        // A replaced session is the test's own write, not the request's.
        if (await ensureSession(request.auth)) before = await snapshotEveryTable(db, tables, dialect);
        const response = await send(request);
        requestsSent.set(name, (requestsSent.get(name) ?? 0) + 1);
        let after = await snapshotEveryTable(db, tables, dialect);
        // "Forgot password?" answers 202 first and does its name-dependent work (ending in an
        // audit event) after the answer, so that its timing tells nothing: wait for that write
        // here, or it would be blamed on the next request.
        for (let waited = 0; response.statusCode === 202 && route.url === '/api/v1/auth/password-reset' && !changedTables(before, after).includes('audit_events') && waited < 3_000; waited += 25) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          after = await snapshotEveryTable(db, tables, dialect);
        }
        const changed = changedTables(before, after);
        before = after;
        const described = `${name} <- ${describeRequest(request)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, described).toBeLessThan(500);
        expect(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+/.test(response.body), described).toBe(false);
        if (response.statusCode >= 400 && request.method !== 'HEAD') {
          const error = parseJSON(response.body)?.error;
          expect(typeof error?.code === 'string' && typeof error.message === 'string', `error shape: ${described}`).toBe(true);
          const allowed = EDGE_REFUSALS.has(error!.code!) ? new Set<string>() : COUNTED_REFUSAL_TABLES;
          expect(changed.filter((table) => !allowed.has(table)), `tables changed by a refused request: ${described}`).toEqual([]);
        }
      });
      const examples: Array<[FuzzRequest]> = [[exampleRequest(route, known, 'admin-bearer')], [exampleRequest(route, known, 'web-cookie')], [exampleRequest(route, known, 'user-bearer')]];
      // No shrinking: the database moves on between runs, so a shrunk case would not replay; the first failure is reported as is.
      await fc.assert(property, { numRuns: RUNS_PER_ROUTE, endOnFailure: true, examples });
    }

    // Coverage: every route was sent requests and its handler really ran for a signed-in caller
    // (for sign-in routes: at all).
    const unreached: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      expect(requestsSent.get(name) ?? 0, name).toBeGreaterThanOrEqual(RUNS_PER_ROUTE);
      // No exceptions: the generator honours lengths, simple patterns, formats and enums, so even
      // the routes taking a WebAuthn response or a 20+ character token get requests their schema
      // accepts, and their handlers run (and refuse the made-up assertion or token).
      if (!reachedWithSession.has(name) && !reachedPublic.has(name)) unreached.push(name);
    }
    expect(unreached, 'handlers never reached with a session').toEqual([]);
    // Still serving, and prototype pollution reached no shared object.
    expect((await inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  }, 600_000);
});
