import { randomInt } from 'node:crypto';
import { equalsConstantTime } from '../../core/constant-time.ts';
import { DomainError } from '../../core/errors.ts';
import { maskEmail } from '../../core/email-addresses.ts';
import type { Account } from '../../core/types.ts';
import type { CodePurpose } from '../../ports.ts';
import { formatWait, releaseAttempt, reserveAttempt } from './attempt-limits.ts';
import type { FlowDeps } from './deps.ts';
import { localize } from '../../i18n/format.ts';

export const EMAIL_CODE_TTL_MS = 5 * 60_000;
export const EMAIL_CODE_MAX_ATTEMPTS = 5;
export const RESEND_AFTER_SECONDS = 60;
const SENDS_PER_HOUR = 5;

export interface SentCode {
  sentTo: string;
  resendAfter: number;
}

/** Where each kind of email code lives: one live code per key, a new one replaces the old. */
export const emailCodeKeys = {
  login: (challengeIdHash: string): string => `login:${challengeIdHash}`,
  reauth: (sessionId: string): string => `reauth:${sessionId}`,
  enrollment: (userId: string): string => `enroll:${userId}`,
  emailChange: (userId: string): string => `email-change:${userId}`,
};

export function emailCodeHash(deps: FlowDeps, key: string, code: string): string {
  return deps.secretBox.mac(`email-code:${key}:${code}`);
}

/** Six digits from the CSPRNG; leading zeros kept. */
export function generateEmailCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * Mails a new code for `key`, replacing any earlier one. Resends are limited per subject (once a
 * minute) and per account (five an hour) in the database. The mail goes out after the code is
 * stored and outside any transaction; if delivery fails the code is withdrawn and the send does
 * not count, so the user can simply try again and nothing is left half-done.
 */
export async function sendEmailCode(
  deps: FlowDeps,
  options: { account: Account; key: string; purpose: CodePurpose; address: string; requestLanguage?: string | undefined },
): Promise<SentCode> {
  const { account, key } = options;
  const perSubject = `email-send:${key}`;
  const perAccount = `email-send:account:${account.id}`;
  await reserveAttempt(deps, perSubject, { limit: 1, windowMs: RESEND_AFTER_SECONDS * 1000, lockMs: 0, maxLockMs: 0 }).catch((error: unknown) => {
    if (error instanceof DomainError && error.retryAfterSeconds !== undefined) {
      throw new DomainError('too_many_attempts', localize('A code was sent moments ago. You can ask for a new one in {wait}.', { wait: formatWait(error.retryAfterSeconds) }), {
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    throw error;
  });
  try {
    await reserveAttempt(deps, perAccount, { limit: SENDS_PER_HOUR, windowMs: 60 * 60_000, lockMs: 0, maxLockMs: 0 });
  } catch (error) {
    await releaseAttempt(deps, perSubject);
    throw error;
  }

  const code = generateEmailCode();
  const now = deps.clock();
  try {
    await deps.store.saveEmailCode({
      key,
      userId: account.id,
      purpose: options.purpose,
      codeHash: emailCodeHash(deps, key, code),
      address: options.address,
      createdAt: now,
      expiresAt: now + EMAIL_CODE_TTL_MS,
      attempts: 0,
      consumedAt: null,
    });
    await deps.mailer.sendCode({
      to: options.address,
      language: account.language,
      requestLanguage: options.requestLanguage,
      code,
      purpose: options.purpose,
      username: account.username,
      validMinutes: EMAIL_CODE_TTL_MS / 60_000,
    });
  } catch (error) {
    // Nothing went out: withdraw the code and give both sends back, so the user can retry at once.
    await deps.store.deleteEmailCode(key);
    await releaseAttempt(deps, perSubject);
    await releaseAttempt(deps, perAccount);
    if (error instanceof DomainError) throw error;
    throw new DomainError('email_delivery_failed', 'The email could not be sent. Try again in a moment, or contact your administrator.', {}, error);
  }
  // Sent: each slot becomes a counted send, which is what the once-a-minute and five-an-hour
  // limits count.
  await deps.store.recordAttemptFailure(perSubject, now, true);
  await deps.store.recordAttemptFailure(perAccount, now, true);
  return { sentTo: maskEmail(options.address), resendAfter: RESEND_AFTER_SECONDS };
}

/** Checks a code for `key` and spends it if right; returns the address it was sent to, or null. */
export async function consumeEmailCode(deps: FlowDeps, key: string, userId: string, code: string): Promise<{ address: string } | null> {
  const stored = await deps.store.findEmailCode(key);
  if (stored === null || stored.userId !== userId) return null;
  const now = deps.clock();
  if (!(await deps.store.spendEmailCodeAttempt(key, now, EMAIL_CODE_MAX_ATTEMPTS))) return null;
  const hash = emailCodeHash(deps, key, code);
  if (!equalsConstantTime(hash, stored.codeHash) || !(await deps.store.consumeEmailCode(key, hash, now))) return null;
  return { address: stored.address };
}
