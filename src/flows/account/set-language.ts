import type { Account } from '../../core/types.ts';
import type { FlowDeps } from '../shared/deps.ts';

/**
 * Stores the interface language the account chose (null: none, follow the browser). Its mails
 * and the server's messages to it follow the choice from the next request on. Not a security
 * setting: no Password window, no notice, and the session stays as it is.
 */
export async function setAccountLanguage(deps: FlowDeps, account: Account, language: string | null): Promise<void> {
  await deps.store.setLanguage(account.id, language, deps.clock());
}
