import type { Account } from '../core/types.ts';
import { summarizeAccount } from '../flows/list-accounts.ts';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The account as clients see it: never the password hash or any secret. */
export function presentUser(account: Account) {
  const summary = summarizeAccount(account);
  return { ...summary, createdAt: iso(summary.createdAt) };
}
