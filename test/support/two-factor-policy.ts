import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ADMIN_PASSWORD, body, login, post, totpCode, type TestClock } from './harness.ts';

// Helpers of the "Require two-factor" suites (issue 12), all on the clock seam: a TOTP code is
// computed from the test clock and the clock moves a step on before each new one, never a sleep.

const STEP_MS = 30_000;

/** The next unused code of `secret`: the clock moves one step on first (RFC 6238 §5.2 forbids a reuse). */
export function nextCode(clock: TestClock, secret: string): string {
  clock.advance(STEP_MS);
  return totpCode(secret, 0, clock());
}

export function put(app: FastifyInstance, url: string, payload: unknown, token: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'PUT', url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
}

/** Sets up an authenticator app on a session that has none: Password window, setup, enable. */
export async function enableApp(app: FastifyInstance, clock: TestClock, token: string, password: string): Promise<string> {
  expectOk(await post(app, '/api/v1/me/reauth', { password }, token));
  const setup = expectOk(await post(app, '/api/v1/me/two-factor/totp/setup', {}, token));
  const { secret } = body<{ secret: string }>(setup);
  expectOk(await post(app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(secret, 0, clock()) }, token));
  return secret;
}

/** Logs in with password and app code, then passes the Password window with a further code. */
export async function sessionWithApp(app: FastifyInstance, clock: TestClock, username: string, password: string, secret: string): Promise<string> {
  const first = body<{ challengeId: string }>(expectOk(await login(app, username, password)));
  const second = expectOk(await post(app, '/api/v1/auth/login/second-factor', { challengeId: first.challengeId, method: 'totp', code: nextCode(clock, secret) }));
  const token = body<{ token: string }>(second).token;
  expectOk(await post(app, '/api/v1/me/reauth', { password, code: nextCode(clock, secret) }, token));
  return token;
}

/** The built-in administrator with an app (the policy cannot be enabled by one without). */
export async function adminWithApp(app: FastifyInstance, clock: TestClock): Promise<{ secret: string; session(): Promise<string> }> {
  const first = await login(app, 'admin', ADMIN_PASSWORD);
  const token = body<{ token: string }>(expectOk(first)).token;
  const secret = await enableApp(app, clock, token, ADMIN_PASSWORD);
  return { secret, session: () => sessionWithApp(app, clock, 'admin', ADMIN_PASSWORD, secret) };
}

export function expectOk(response: LightMyRequestResponse): LightMyRequestResponse {
  if (response.statusCode >= 300) throw new Error(`expected success, got ${response.statusCode} ${response.body}`);
  return response;
}
