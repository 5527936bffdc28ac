import { DomainError } from '../../core/errors.ts';
import type { Account } from '../../core/types.ts';
import { usernameKey } from '../../core/usernames.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { localize } from '../../i18n/format.ts';

export async function findAccountOrFail(deps: FlowDeps, username: string): Promise<Account> {
  const account = await deps.store.findAccountByUsernameKey(usernameKey(username));
  if (account === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  return account;
}
