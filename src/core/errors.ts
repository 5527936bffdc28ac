/**
 * The one list of error codes clients are built against. HTTP status codes are chosen from this
 * list at the edge (src/http/error-handler.ts), never inside a flow.
 */
export const ERROR_CODES = [
  'validation_error',
  'invalid_credentials',
  'unauthorized',
  'invalid_code',
  'reauth_required',
  'forbidden',
  'two_factor_required',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'request_timeout',
  'challenge_invalid',
  'too_many_attempts',
  'email_delivery_failed',
  'service_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DomainErrorOptions {
  retryAfterSeconds?: number;
  attemptsLeft?: number;
  field?: string;
  clockSkewSeconds?: number;
  reason?: SessionEndReason;
}

import type { SessionEndReason } from './types.ts';
import type { Text } from './text.ts';

/** A broken business rule. Carries a stable code and a message that is safe to show a user. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Seconds until a retry can succeed, for `too_many_attempts`. */
  readonly retryAfterSeconds: number | undefined;
  /** For `invalid_code`: the phone's clock looks this many seconds off (negative: behind). RFC 6238 §6. */
  readonly clockSkewSeconds: number | undefined;
  /** Sent to the client: wrong passwords still allowed before logins pause (only when few are left). */
  readonly attemptsLeft: number | undefined;
  /** Sent to the client: the request field a `validation_error` is about, so a form can focus it. */
  readonly field: string | undefined;
  /** For `unauthorized`: why the session of the presented token ended (docs/api.md). */
  readonly reason: SessionEndReason | undefined;
  /** The message as a catalog entry with its values, when it has placeholders; else the message is its own key. */
  readonly text: Text | undefined;

  constructor(code: ErrorCode, message: string | Text, options: DomainErrorOptions = {}, cause?: unknown) {
    super(typeof message === 'string' ? message : message.english, cause === undefined ? undefined : { cause });
    this.text = typeof message === 'string' ? undefined : message;
    this.name = 'DomainError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.clockSkewSeconds = options.clockSkewSeconds;
    this.attemptsLeft = options.attemptsLeft;
    this.field = options.field;
    this.reason = options.reason;
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
