import { DomainError } from '../../core/errors.ts';
import { hashToken } from '../../core/tokens.ts';
import type { Account, LoginChallenge } from '../../core/types.ts';
import type { FlowDeps } from './deps.ts';

const EXPIRED = 'This sign-in has expired or was already used. Log in again.';

export function challengeExpired(): DomainError {
  return new DomainError('challenge_invalid', EXPIRED);
}

export interface LiveChallenge {
  idHash: string;
  challenge: LoginChallenge;
  account: Account;
}

/**
 * A login challenge that can still be answered: known, unused, unexpired, with attempts left,
 * and decided under the account's current state. Two-factor turned off, a reset, a password
 * change or ended sessions since the password step all move the account on: start over.
 */
export async function loadLiveChallenge(deps: FlowDeps, challengeId: string): Promise<LiveChallenge> {
  const idHash = hashToken(challengeId);
  const challenge = await deps.store.findLoginChallenge(idHash);
  const now = deps.clock();
  if (!challenge || challenge.consumedAt !== null || challenge.expiresAt <= now || challenge.attempts >= deps.settings.limits.challengeMaxAttempts) {
    throw challengeExpired();
  }
  const account = await deps.store.findAccountById(challenge.userId);
  if (!account || account.authenticatorCount === 0 || account.sessionEpoch !== challenge.accountEpoch) throw challengeExpired();
  return { idHash, challenge, account };
}
