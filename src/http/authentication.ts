import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../core/errors.ts';
import type { ClientKind, RequestContext, SessionEndReason } from '../core/types.ts';
import { authenticateSession, type Authenticated } from '../flows/authenticate-session.ts';
import type { FlowDeps } from '../flows/shared/deps.ts';
import { findSessionEnd, sessionRequired } from '../flows/session-end.ts';
import { localize } from '../i18n/format.ts';
import { authenticateEnrollment } from '../flows/login/enrollment.ts';
import type { EnrollmentToken } from '../store/store.ts';
import { isEnrollmentRoute, TWO_FACTOR_REQUIRED } from './enrollment-scope.ts';

export const SESSION_COOKIE = 'twofold_session';
/** The web client's device credential (issue 11); sent only to the sign-in routes. */
export const DEVICE_COOKIE = 'twofold_device';
const DEVICE_COOKIE_PATH = '/api/v1/auth';
// Browsers keep a cookie at most 400 days (RFC 6265bis); the server decides what it is worth.
const DEVICE_COOKIE_MAX_DAYS = 400;
const DAY_MS = 24 * 60 * 60_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;
/** Cookie-authenticated writes must carry this header; a cross-site form or image cannot set it. */
export const CSRF_HEADER = 'x-csrf-protection';

declare module 'fastify' {
  interface FastifyRequest {
    /** With `enrollment`, the caller holds an enrollment token, not a session (see enrollment-scope.ts). */
    auth: (Authenticated & { enrollment?: EnrollmentToken }) | null;
    /** Why the session of the presented token ended, when it did and that is remembered. */
    sessionEnd: SessionEndReason | null;
  }
  interface FastifyContextConfig {
    /** The route serves callers without a session (signing in); every other API route needs one. */
    public?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requestContext(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  const language = request.headers['accept-language'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null, acceptLanguage: typeof language === 'string' ? language : undefined };
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9_-]{20,128})$/.exec(header.trim());
  return match?.[1] ?? null;
}

/**
 * Resolves the session for each API request: a bearer token (any client) or the web client's
 * HttpOnly cookie. A write from a browser must come from our own origin. Registered inside the
 * `/api/v1` plugin only, so static files cost no session query.
 *
 * It runs at onRequest, before the body is read, parsed or validated: a caller without a valid
 * session learns nothing about a route's body rules and gets 401 whatever it sends.
 */
export function registerAuthentication(app: FastifyInstance, deps: FlowDeps): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionEnd', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const unsafe = !SAFE_METHODS.has(request.method);
    const origin = request.headers.origin;
    // Host, not scheme: behind a TLS-terminating proxy the browser says https while we see http.
    if (unsafe && typeof origin === 'string' && originHost(origin) !== request.host) {
      throw new DomainError('forbidden', 'Cross-origin requests are not allowed.');
    }
    const bearer = bearerToken(request);
    const cookie = request.cookies[SESSION_COOKIE];
    const token = bearer ?? cookie ?? null;
    if (token !== null) {
      if (bearer === null && unsafe && request.headers[CSRF_HEADER] === undefined) {
        throw new DomainError('forbidden', localize('Requests authenticated by cookie must send the {header} header.', { header: CSRF_HEADER }));
      }
      request.auth = await authenticateSession(deps, token);
      // Enrollment tokens travel only as a bearer (the web client keeps them in memory).
      if (request.auth === null && bearer !== null) {
        const enrollment = await authenticateEnrollment(deps, bearer);
        if (enrollment !== null) {
          // The allow-list, in one place, before the body is read: nothing else is reachable.
          if (!isEnrollmentRoute(request.method, request.routeOptions.url)) throw new DomainError('two_factor_required', TWO_FACTOR_REQUIRED);
          request.auth = enrollment;
        }
      }
      // Only on the failure path, and only for the token's holder: a 401 can then say why.
      if (request.auth === null) request.sessionEnd = await findSessionEnd(deps, token);
    }
    if (request.auth === null && request.routeOptions.config.public !== true) throw sessionRequired(request.sessionEnd);
  });
}

export function requireAuth(request: FastifyRequest): Authenticated & { enrollment?: EnrollmentToken } {
  if (request.auth === null) throw sessionRequired(request.sessionEnd);
  return request.auth;
}

export function requireAdmin(request: FastifyRequest): Authenticated {
  const auth = requireAuth(request);
  if (auth.account.role !== 'admin') throw new DomainError('forbidden', 'Only administrators can do this.');
  return auth;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: number): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: '/',
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', path: '/' });
}

/**
 * The device credential a login request carries: the web's cookie, or a desktop or mobile
 * client's `deviceToken`. Anything malformed is no credential (never an error): the login then
 * goes on as from an unknown device.
 */
export function presentedDeviceToken(request: FastifyRequest, client: ClientKind, bodyToken: string | undefined): string | null {
  const value = client === 'web' ? request.cookies[DEVICE_COOKIE] : bodyToken;
  return typeof value === 'string' && TOKEN_SHAPE.test(value) ? value : null;
}

function setDeviceCookie(request: FastifyRequest, reply: FastifyReply, token: string, trustedDeviceDays: number): void {
  // Also a known device's credential when nothing is trusted: it outlives any trust it carries.
  const days = Math.min(DEVICE_COOKIE_MAX_DAYS, Math.max(180, trustedDeviceDays));
  void reply.setCookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: DEVICE_COOKIE_PATH,
    expires: new Date(Date.now() + days * DAY_MS),
  });
}

/**
 * The web client gets its session only as the HttpOnly cookie: a token in the JSON body would be
 * readable by any script running in the page, which is what HttpOnly is there to prevent.
 * Desktop and mobile clients keep no cookie jar and get the token in the body.
 */
export function deliverToken(
  request: FastifyRequest,
  reply: FastifyReply,
  client: ClientKind,
  session: { token: string; expiresAt: number; deviceToken: string },
  trustedDeviceDays: number,
): { token?: string; expiresAt: string; deviceToken?: string } {
  if (client === 'web') {
    setSessionCookie(request, reply, session.token, session.expiresAt);
    setDeviceCookie(request, reply, session.deviceToken, trustedDeviceDays);
    return { expiresAt: new Date(session.expiresAt).toISOString() };
  }
  return { token: session.token, expiresAt: new Date(session.expiresAt).toISOString(), deviceToken: session.deviceToken };
}
