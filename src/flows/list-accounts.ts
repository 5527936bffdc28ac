import type { Account, Role, SecondFactorMethod } from '../core/types.ts';
import { usernameKey } from '../core/usernames.ts';
import { attemptKeys } from './shared/attempt-limits.ts';
import type { FlowDeps } from './shared/deps.ts';

export interface AccountSummary {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: Role;
  twoFactor: { enabled: boolean; method: SecondFactorMethod | null; authenticators: number };
  disabled: boolean;
  /** When the second factor is locked after too many wrong codes, until when. */
  secondFactorLockedUntil: number | null;
  /** When password login is locked after too many wrong passwords, until when. */
  passwordLockedUntil: number | null;
  /** The latest lock among the account's known devices' own password budgets, until when. */
  deviceLockedUntil: number | null;
  /** An administrator set the password; the user must choose their own at the next login. */
  passwordChangeRequired: boolean;
  createdAt: number;
}

export function summarizeAccount(account: Account): Omit<AccountSummary, 'secondFactorLockedUntil' | 'passwordLockedUntil' | 'deviceLockedUntil' | 'passwordChangeRequired'> {
  return {
    id: account.id,
    username: account.username,
    displayName: account.displayName,
    email: account.email,
    emailVerified: account.emailVerified,
    role: account.role,
    twoFactor: { enabled: account.authenticatorCount > 0, method: account.twoFactorMethod, authenticators: account.authenticatorCount },
    disabled: account.disabled,
    createdAt: account.createdAt,
  };
}

export async function listAccounts(deps: FlowDeps): Promise<AccountSummary[]> {
  const now = deps.clock();
  const accounts = await deps.store.listAccounts();
  return Promise.all(
    accounts.map(async (account) => {
      const lockedUntil = async (key: string): Promise<number | null> => {
        const counter = await deps.store.findAttemptCounter(key);
        return counter !== null && counter.lockedUntil > now ? counter.lockedUntil : null;
      };
      return {
        ...summarizeAccount(account),
        secondFactorLockedUntil: await lockedUntil(attemptKeys.secondFactor(account.id)),
        passwordLockedUntil: await lockedUntil(attemptKeys.passwordByUsername(usernameKey(account.username))),
        deviceLockedUntil: await deps.store.findDeviceLockedUntil(account.id, now),
        passwordChangeRequired: account.passwordChangeRequired,
      };
    }),
  );
}
