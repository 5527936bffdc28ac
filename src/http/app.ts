import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { FlowDeps } from '../flows/shared/deps.ts';
import { registerAuthentication } from './authentication.ts';
import { DomainError } from '../core/errors.ts';
import { handleClientError, handleError, sendError } from './error-handler.ts';
import { findInvalidText } from './schemas/text-guard.ts';
import { registerLanguage } from './language.ts';
import { loadTranslator } from '../i18n/translator.ts';
import { localize } from '../i18n/format.ts';
import { createMetrics, registerRequestTiming, type Metrics } from './metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes } from './routes/auth.ts';
import { healthRoutes } from './routes/health.ts';
import { meRoutes } from './routes/me.ts';
import { twoFactorRoutes } from './routes/two-factor.ts';
import { authenticatorRoutes } from './routes/authenticators.ts';
import { webauthnRoutes } from './routes/webauthn.ts';

export interface AppOptions {
  flows: FlowDeps;
  /** Connection pool figures for /metrics. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /** Built web client to serve at `/`; omitted or missing folder: API only. */
  webRoot?: string | null;
  trustProxyHops?: number;
  /** When set, /metrics needs it as a bearer token. */
  metricsToken?: string | null;
  /** A pino logger (see createLogger); omitted: no logging. */
  logger?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
    /** Every route the app serves, for suites that must cover each one (a new route cannot be forgotten). */
    routeList: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  /** Serves callers without a session (the sign-in routes). */
  public: boolean;
}

export const BODY_LIMIT_BYTES = 16 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Log options that keep credentials out of logs whatever a future log line includes. */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    serializers: {
      // Without the query string: the password reset link carries its token there.
      req: (request: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
        method: request.method,
        url: typeof request.url === 'string' ? request.url.split('?')[0] : undefined,
        host: request.host ?? request.hostname,
        remoteAddress: request.ip ?? request.socket?.remoteAddress,
      }),
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        'body.code',
        'req.body.code',
        '*.token',
        '*.passwordChangeToken',
        'req.body.password',
        '*.secret',
        '*.challengeId',
        '*.passkeyChallengeId',
      ],
      censor: '[redacted]',
    },
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): FastifyBaseLogger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

/** Builds the whole HTTP application around the given flows. Never listens: server.ts does. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const metrics = createMetrics(options.poolStats ?? (() => ({ total: 1, idle: 1, waiting: 0 })));
  const flows: FlowDeps = {
    ...options.flows,
    onAudit: (event) => {
      metrics.observeAudit(event);
      options.flows.onAudit?.(event);
    },
  };
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind N proxies, the client address is the N-th hop from the right of X-Forwarded-For.
    trustProxy: (_address: string, hop: number) => hop < (options.trustProxyHops ?? 0),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    // Errors Fastify raises before routing (a malformed URL) answer in the same shape as every other.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, error.statusCode === 413 ? 'payload_too_large' : 'validation_error', error.statusCode === 413 ? 'The request is too large.' : 'The request URL is malformed.');
    },
    onConstructorPoisoning: 'error',
    clientErrorHandler: handleClientError,
    ajv: {
      // Types are never coerced and unknown fields are never silently dropped: a client that
      // sends 123456 (a number) or {"code":"..","extra":1} gets a 400 naming the problem.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });

  registerLanguage(app, flows.translator ?? loadTranslator());

  const routeList: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routeList.push({ method, url: route.url, public: (route.config as { public?: boolean } | undefined)?.public === true });
    }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) {
      return sendError(reply, 'not_found', localize('No route {method} {path}.', { method: request.method, path: request.url.split('?')[0] ?? '' }));
    }
    if (options.webRoot && request.method === 'GET' && request.headers.accept?.includes('text/html')) {
      // Every screen of the single-page client has its own URL; the client routes it.
      return reply.type('text/html').sendFile('index.html');
    }
    return sendError(reply, 'not_found', 'Not found.');
  });
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    void reply.header('x-request-id', request.id);
    if (request.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  // JSON only: a plain-text body is a 415, not something to parse.
  app.removeContentTypeParser('text/plain');
  // An action without input may be sent with no body at all; it is then the empty object its
  // schema allows, instead of a confusing "body must be object".
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
    const invalid =
      findInvalidText(request.params, 'params') ?? findInvalidText(request.query, 'querystring') ?? findInvalidText(request.body, 'body');
    if (invalid !== null) throw new DomainError('validation_error', localize('{field} must not contain NUL characters or invalid Unicode.', { field: invalid }));
  });
  await app.register(cookie);
  registerRequestTiming(app, metrics);
  await app.register(healthRoutes(flows.store, flows.clock, metrics, options.metricsToken ?? null));
  // The API in its own encapsulated plugin: the session and CSRF hooks apply to its routes only.
  await app.register(async function apiV1(api) {
    registerAuthentication(api, flows);
    await api.register(authRoutes(flows));
    await api.register(meRoutes(flows));
    await api.register(twoFactorRoutes(flows));
    await api.register(authenticatorRoutes(flows));
    await api.register(webauthnRoutes(flows));
    await api.register(adminRoutes(flows));
  });

  if (options.webRoot && existsSync(path.join(options.webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: options.webRoot, index: 'index.html', wildcard: false });
  }
  app.decorate('metrics', metrics);
  app.decorate('routeList', routeList);
  return app;
}
