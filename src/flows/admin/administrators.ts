import { DomainError } from '../../core/errors.ts';
import type { Account } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';

export const LAST_ADMINISTRATOR = 'The last active administrator cannot be deleted, disabled or demoted.';

/**
 * Refuses a change that would leave no active administrator (then nobody could manage the
 * service but someone with the server's data in hand). Runs inside the change's transaction,
 * after the administrators are locked, so that two administrators disabling each other at the
 * same moment cannot both succeed.
 */
export async function requireAnotherActiveAdministrator(store: Store, account: Account): Promise<void> {
  await store.lockAdministrators();
  // Re-read under the lock: a racing change may have promoted, demoted or disabled this account.
  const current = await store.findAccountById(account.id);
  if (current === null || current.role !== 'admin' || current.disabled) return;
  if ((await store.countActiveAdministrators()) <= 1) throw new DomainError('conflict', LAST_ADMINISTRATOR);
}
