import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../core/errors.ts';
import { describeValidationError } from './validation-messages.ts';
import type { Text } from '../core/text.ts';
import { answerLanguage } from './language.ts';

/** The one table from error code to HTTP status. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  validation_error: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  invalid_code: 401,
  challenge_invalid: 401,
  reauth_required: 403,
  forbidden: 403,
  two_factor_required: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  request_timeout: 408,
  too_many_attempts: 429,
  email_delivery_failed: 502,
  service_unavailable: 503,
  internal_error: 500,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Enrollment answers a wrong code with 400 (a form error), login with 401. */
    invalidCodeStatus?: 400 | 401;
  }
}

// Connection-level failures of either driver: the database is out of reach, so fail closed with 503.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08006', // connection_failure
  '08001',
  '25006', // read_only_sql_transaction: a replica, or a primary put into read-only mode
  '53100', // disk_full
  '53200', // out_of_memory
  '58030', // io_error
  'XX001', // data_corrupted
  'XX002', // index_corrupted
]);

// SQLite result codes (with their extended forms, e.g. SQLITE_IOERR_WRITE) that mean the
// database cannot serve now: locked past the wait, read-only, full, failing, unopenable or corrupt.
const UNAVAILABLE_SQLITE = /^SQLITE_(?:BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|NOLFS|PERM)(?:_|$)/;

/** Whether a driver error means the database cannot serve now (answered 503, never 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLITE.test(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/** Optional members of the error object (docs/api.md, "Errors"); absent ones are left out. */
export interface ErrorDetails {
  attemptsLeft?: number | undefined;
  field?: string | undefined;
  clockSkewSeconds?: number | undefined;
  reason?: string | undefined;
}

/** Sends the one error shape, its `message` in the language of the answer (src/http/language.ts). */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string | Text, status = HTTP_STATUS[code], details: ErrorDetails = {}): FastifyReply {
  const extra = Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined));
  const translator = reply.server.translator as FastifyReply['server']['translator'] | undefined;
  const shown = translator === undefined ? (typeof message === 'string' ? message : message.english) : translator.text(answerLanguage(reply.request), 'server', message);
  return reply.status(status).send({ error: { code, message: shown, ...extra } });
}

function frameworkError(error: FastifyError): { code: ErrorCode; message: string | Text; field?: string } | null {
  const status = error.statusCode ?? 500;
  if (status >= 500) return null;
  if (error.validation) return { code: 'validation_error', ...describeValidationError(error.validation) };
  if (status === 413) return { code: 'payload_too_large', message: 'The request body is too large (16 KiB at most).' };
  if (status === 415) return { code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json.' };
  if (status === 404) return { code: 'not_found', message: 'Not found.' };
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return { code: 'validation_error', message: 'The request body is not valid JSON.' };
  }
  // Framework wording is for developers: the client gets a sentence, the log keeps the detail.
  return { code: 'validation_error', message: 'The request could not be read. Send a JSON object as the body.' };
}

/**
 * Every error leaves here as `{"error":{"code","message"}}`. Domain errors carry their own safe
 * message; anything unexpected is logged in full and answered with a message that reveals nothing.
 */
export function handleError(error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    let status = HTTP_STATUS[error.code];
    if (error.code === 'invalid_code') status = request.routeOptions.config.invalidCodeStatus ?? status;
    if (error.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(error.retryAfterSeconds));
    // A domain error is a decision, not a fault (a full admission queue, a mail server that said
    // no): one line at warn, without a stack, so a password spray does not flood the error log.
    if (status >= 500) request.log.warn({ code: error.code }, 'request refused');
    return sendError(reply, error.code, error.text ?? error.message, status, { attemptsLeft: error.attemptsLeft, field: error.field, clockSkewSeconds: error.clockSkewSeconds, reason: error.reason });
  }
  const mapped = frameworkError(error);
  if (mapped) return sendError(reply, mapped.code, mapped.message, HTTP_STATUS[mapped.code], { field: mapped.field });
  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, 'database unavailable');
    void reply.header('Retry-After', '5');
    return sendError(reply, 'service_unavailable', 'The service is temporarily unavailable. Try again shortly.');
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendError(reply, 'internal_error', 'Something went wrong on our side.');
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a header block over 16 KiB, a
 * method such as BREW that HTTP does not know, a malformed request line, a request that took
 * too long to arrive) are answered on the raw socket, in the same JSON shape as every other error.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'validation_error';
  const message =
    code === 'headers_too_large'
      ? 'The request headers are too large.'
      : code === 'request_timeout'
        ? 'The request took too long to arrive.'
        : 'The request is not valid HTTP (malformed request line, unknown method or bad header).';
  const status = HTTP_STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable && socket.bytesWritten === 0) {
    // i18n: markup, not words (the status line and headers; the message above stays English: no request to choose by).
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
