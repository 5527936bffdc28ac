import type { Account } from '../core/types.ts';
import { summarizeAccount } from '../flows/list-accounts.ts';
import type { AuthenticatorSummary } from '../flows/manage-authenticators.ts';
import type { TrustedDeviceSummary } from '../flows/login/manage-devices.ts';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The account as clients see it: never the password hash or any secret. */
export function presentUser(account: Account) {
  const summary = summarizeAccount(account);
  return { ...summary, createdAt: iso(summary.createdAt) };
}

/** A trusted device as its owner and administrators see it: never its token. */
export function presentTrustedDevice(d: TrustedDeviceSummary) {
  return { id: d.id, name: d.name, client: d.client, createdAt: iso(d.createdAt), lastUsedAt: iso(d.lastUsedAt), expiresAt: iso(d.expiresAt), current: d.current };
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
