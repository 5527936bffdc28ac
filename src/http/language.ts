import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Translator } from '../i18n/translator.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The catalogs every answer's `message` (and `notice`) is translated with. */
    translator: Translator;
  }
}

function acceptLanguage(request: FastifyRequest): string | undefined {
  const header = request.headers['accept-language'];
  return typeof header === 'string' ? header : undefined;
}

/**
 * The language of an answer: the account's stored choice (once the session is known), then the
 * request's Accept-Language, then English. The same precedence as the web client's.
 */
export function answerLanguage(request: FastifyRequest): string {
  const auth = (request as { auth?: { account: { language: string | null } } | null }).auth;
  return request.server.translator.choose(auth?.account.language ?? null, acceptLanguage(request));
}

/** Fixed sentences a success answer carries at its top level, translated on the way out. */
const TRANSLATED_FIELDS = ['message', 'notice'] as const;

export function registerLanguage(app: FastifyInstance, translator: Translator): void {
  app.decorate('translator', translator);
  app.addHook('preSerialization', async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
    const body = payload as Record<string, unknown>;
    if (!TRANSLATED_FIELDS.some((field) => typeof body[field] === 'string')) return payload;
    const language = answerLanguage(request);
    if (language === 'en') return payload;
    const translated: Record<string, unknown> = { ...body };
    for (const field of TRANSLATED_FIELDS) {
      const value = body[field];
      if (typeof value === 'string') translated[field] = translator.text(language, 'server', value);
    }
    return translated;
  });
}
