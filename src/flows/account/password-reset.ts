import { DomainError } from '../../core/errors.ts';
import { endTrustedDevices } from '../login/trusted-devices.ts';
import { checkPasswordStrength } from '../../core/passwords.ts';
import type { Account, RequestContext } from '../../core/types.ts';
import { usernameKey } from '../../core/usernames.ts';
import { attemptKeys } from '../shared/attempt-limits.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { dropUnfinishedEnrollments } from '../shared/two-factor-state.ts';
import { issuePasswordToken, loadLivePasswordToken } from '../shared/password-tokens.ts';

export const PASSWORD_RESET_TTL_MS = 30 * 60_000;
const HOUR_MS = 60 * 60_000;
export const RESET_MAILS_PER_USERNAME_PER_HOUR = 5;
export const RESET_REQUESTS_PER_ADDRESS_PER_HOUR = 20;

/** The one answer to every request, whatever happened: it must not tell which usernames exist. */
export const PASSWORD_RESET_REQUESTED =
  'If this username has a verified email address, a link to reset the password is on its way. It is valid for 30 minutes.';
const LINK_EXPIRED = 'This password reset link has expired or was already used. Ask for a new one on the Log In page.';

export const resetKeys = {
  byAddress: (ip: string): string => `password-reset:ip:${ip}`,
  byUsername: (key: string): string => `password-reset:username:${key}`,
};

/** Takes one of `limit` slots of the hour under `key` for good (a request or a mail counts as made); false when none is left. */
async function countUnderLimit(deps: FlowDeps, key: string, limit: number): Promise<boolean> {
  const now = deps.clock();
  if (!(await deps.store.reserveAttempt(key, now, limit, HOUR_MS))) return false;
  await deps.store.recordAttemptFailure(key, now, true);
  return true;
}

type Outcome = 'mail_sent' | 'unknown_user' | 'no_verified_email' | 'account_disabled' | 'too_many_requests';

/**
 * "Forgot password?": mails a single-use link to the account's verified address. The caller
 * learns nothing: unknown names, accounts without a proven address, disabled accounts and
 * requests over the limits all get the same answer, and everything that depends on the name
 * (the lookup, the link, the mail) happens after the answer, so its time cannot tell a real
 * account from an unknown one. Only the per-address count, the same for every name, comes first.
 */
export async function requestPasswordReset(deps: FlowDeps, input: { username: string }, context: RequestContext): Promise<{ message: string }> {
  const allowed = await countUnderLimit(deps, resetKeys.byAddress(context.ip), RESET_REQUESTS_PER_ADDRESS_PER_HOUR);
  handleResetRequest(deps, usernameKey(input.username), context, allowed).catch((error: unknown) => {
    deps.log?.warn({ err: error }, 'a password reset request could not be handled');
  });
  return { message: PASSWORD_RESET_REQUESTED };
}

/** The part of a reset request that depends on the name; runs after the answer went out. */
async function handleResetRequest(deps: FlowDeps, key: string, context: RequestContext, addressAllowed: boolean): Promise<void> {
  let account: Account | null = null;
  let outcome: Outcome;
  let scope: 'address' | 'username' | null = null;
  if (!addressAllowed) {
    outcome = 'too_many_requests';
    scope = 'address';
  } else {
    account = await deps.store.findAccountByUsernameKey(key);
    if (account === null) outcome = 'unknown_user';
    else if (account.disabled) outcome = 'account_disabled';
    else if (account.email === null || !account.emailVerified) outcome = 'no_verified_email';
    else if (!(await countUnderLimit(deps, resetKeys.byUsername(key), RESET_MAILS_PER_USERNAME_PER_HOUR))) {
      outcome = 'too_many_requests';
      scope = 'username';
    } else outcome = 'mail_sent';
  }

  let link: string | null = null;
  if (outcome === 'mail_sent' && account !== null) {
    const found = account;
    link = await deps.store.transaction(async (store) => {
      // One live link per account: a new request replaces the previous one.
      await store.deletePasswordTokens(found.id, 'reset');
      const { token } = await issuePasswordToken(deps, store, {
        account: found,
        purpose: 'reset',
        origin: { client: null, deviceName: null, ip: context.ip, userAgent: context.userAgent },
        ttlMs: PASSWORD_RESET_TTL_MS,
      });
      return `${deps.settings.publicUrl}/reset-password?token=${token}`;
    });
  }
  // The attempted name is kept only when it is a real account (people type passwords into it).
  await recordAudit(deps, {
    type: 'password.reset_requested',
    outcome: outcome === 'mail_sent' ? 'success' : 'failure',
    userId: account?.id ?? null,
    username: account?.username ?? null,
    ip: context.ip,
    detail: { reason: outcome, ...(scope === null ? {} : { scope }) },
  });
  if (link !== null && account !== null) await deliverResetMail(deps, account, link, context.acceptLanguage);
}

async function deliverResetMail(deps: FlowDeps, account: Account, link: string, requestLanguage: string | undefined): Promise<void> {
  const mail = { to: account.email!, language: account.language, requestLanguage, link, username: account.username, validMinutes: PASSWORD_RESET_TTL_MS / 60_000 };
  await deps.mailer.sendPasswordReset(mail).catch(async (error: unknown) => {
    deps.log?.warn({ err: error, userId: account.id }, 'password reset mail could not be sent');
    // Nothing went out: the link is withdrawn and the mail does not count against the user.
    try {
      await deps.store.deletePasswordTokens(account.id, 'reset');
      await deps.store.releaseAttempt(resetKeys.byUsername(usernameKey(account.username)));
      await recordAudit(deps, {
        type: 'password.reset_requested',
        outcome: 'failure',
        userId: account.id,
        username: account.username,
        detail: { reason: 'delivery_failed' },
      });
    } catch (cleanupError) {
      deps.log?.warn({ err: cleanupError, userId: account.id }, 'could not withdraw an undelivered password reset link');
    }
  });
}

/**
 * The link's form: sets a new password. Every session and open login of the account ends, the
 * link and any other is spent, and the password lock lifts (the mailbox was just proven); the
 * second factor is untouched, so the next login still asks for it.
 */
export async function confirmPasswordReset(
  deps: FlowDeps,
  input: { token: string; newPassword: string },
  context: RequestContext,
): Promise<{ message: string }> {
  const weakness = checkPasswordStrength(input.newPassword);
  if (weakness !== null) throw new DomainError('validation_error', weakness);
  const live = await loadLivePasswordToken(deps, input.token, 'reset', LINK_EXPIRED);
  const { account } = live;
  const passwordHash = await deps.passwords.hash(input.newPassword);
  await deps.store.transaction(async (store) => {
    const now = deps.clock();
    if (!(await store.consumePasswordToken(live.tokenHash, 'reset', now))) throw new DomainError('challenge_invalid', LINK_EXPIRED);
    await store.updatePasswordHash(account.id, passwordHash, now);
    const { ended } = await store.endSessionsOfAccount(account.id, { reason: 'password_changed', now });
    await endTrustedDevices(deps, store, account.id, 'password_reset', { username: account.username, ip: context.ip });
    await store.deletePasswordTokens(account.id);
    // Confirmed authenticators stay (the next login still asks for one); half-done setups go.
    await dropUnfinishedEnrollments(store, account.id);
    await store.clearAttemptCounter(attemptKeys.passwordByUsername(usernameKey(account.username)));
    await recordAudit(
      deps,
      { type: 'password.reset', outcome: 'success', userId: account.id, username: account.username, ip: context.ip, detail: { sessions_ended: ended } },
      store,
    );
  });
  await deps.notifier.notify(account, 'password_reset', { ip: context.ip });
  return { message: 'Your password was changed. Log in with your new password.' };
}
