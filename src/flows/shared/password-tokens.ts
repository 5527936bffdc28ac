import { DomainError } from '../../core/errors.ts';
import { generateToken, hashToken } from '../../core/tokens.ts';
import type { Account, ClientKind } from '../../core/types.ts';
import type { PasswordToken, PasswordTokenPurpose, Store } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';

export interface TokenOrigin {
  client: ClientKind | null;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
}

/** Creates a single-use token for `account`; returns it to hand out once (only its hash is kept). */
export async function issuePasswordToken(
  deps: FlowDeps,
  store: Store,
  options: { account: Account; purpose: PasswordTokenPurpose; origin: TokenOrigin; ttlMs: number },
): Promise<{ token: string; expiresAt: number }> {
  const token = generateToken();
  const now = deps.clock();
  const expiresAt = now + options.ttlMs;
  await store.createPasswordToken({
    tokenHash: hashToken(token),
    userId: options.account.id,
    purpose: options.purpose,
    ...options.origin,
    accountEpoch: options.account.sessionEpoch,
    createdAt: now,
    expiresAt,
    consumedAt: null,
  });
  return { token, expiresAt };
}

export interface LivePasswordToken {
  tokenHash: string;
  token: PasswordToken;
  account: Account;
}

/**
 * A token that can still be used: known, of this purpose, unused, unexpired, for an enabled
 * account whose sessions have not been ended since (a reset, disabling or another password
 * change all void it). Throws `challenge_invalid` with `expiredMessage` otherwise.
 */
export async function loadLivePasswordToken(
  deps: FlowDeps,
  token: string,
  purpose: PasswordTokenPurpose,
  expiredMessage: string,
): Promise<LivePasswordToken> {
  const tokenHash = hashToken(token);
  const stored = await deps.store.findPasswordToken(tokenHash);
  const expired = new DomainError('challenge_invalid', expiredMessage);
  if (stored === null || stored.purpose !== purpose || stored.consumedAt !== null || stored.expiresAt <= deps.clock()) throw expired;
  const account = await deps.store.findAccountById(stored.userId);
  if (account === null || account.disabled || account.sessionEpoch !== stored.accountEpoch) throw expired;
  return { tokenHash, token: stored, account };
}
