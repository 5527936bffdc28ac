import type { Account } from '../core/types.ts';
import { summarizeAccount } from '../flows/list-accounts.ts';
import type { AuthenticatorSummary } from '../flows/manage-authenticators.ts';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The account as clients see it: never the password hash or any secret. */
export function presentUser(account: Account) {
  const summary = summarizeAccount(account);
  return { ...summary, createdAt: iso(summary.createdAt) };
}

/** An authenticator as clients see it: name, kind and times, never its secret or replay state. */
export function presentAuthenticator(a: AuthenticatorSummary) {
  return {
    id: a.id,
    type: a.type,
    name: a.name,
    createdAt: iso(a.createdAt),
    lastUsedAt: a.lastUsedAt === null ? null : iso(a.lastUsedAt),
    clockOffsetSeconds: a.clockOffsetSeconds,
  };
}
