import { randomUUID } from 'node:crypto';
import { DomainError } from '../core/errors.ts';
import { checkPasswordStrength } from '../core/passwords.ts';
import { checkDisplayName, checkUsername, usernameKey } from '../core/usernames.ts';
import { isEmailAddress } from '../core/email-addresses.ts';
import type { Account, Role } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import { requireAdminReauthentication } from './shared/reauthentication.ts';
import type { FlowDeps } from './shared/deps.ts';
import type { AdminActor } from './admin-reset-two-factor.ts';
import { localize } from '../i18n/format.ts';
import { applyPolicyToAccount } from './admin/two-factor-policy.ts';

export interface CreateAccountInput {
  username: string;
  password: string;
  displayName?: string;
  email?: string | null;
  role?: Role;
}

/** Creates an account. An address typed by an administrator stays unverified until its owner proves it. */
export async function createAccount(deps: FlowDeps, input: CreateAccountInput, actor: AdminActor): Promise<Account> {
  // The input is judged before the Password window is asked for: an administrator should hear
  // "too short" before typing their own password, not after.
  const username = input.username.normalize('NFC');
  const badUsername = checkUsername(username);
  if (badUsername !== null) throw new DomainError('validation_error', badUsername, { field: 'username' });
  const weakness = checkPasswordStrength(input.password);
  if (weakness !== null) throw new DomainError('validation_error', weakness, { field: 'password' });
  const email = input.email === undefined || input.email === null || input.email === '' ? null : input.email.trim();
  if (email !== null && !isEmailAddress(email)) throw new DomainError('validation_error', 'Enter a valid email address.', { field: 'email' });
  const displayName = (input.displayName ?? '').trim() || username;
  const badName = checkDisplayName(displayName);
  if (badName !== null) throw new DomainError('validation_error', badName, { field: 'displayName' });
  requireAdminReauthentication(deps, actor);

  const passwordHash = await deps.passwords.hash(input.password);
  const now = deps.clock();
  const account = {
    id: randomUUID(),
    username,
    usernameKey: usernameKey(username),
    displayName,
    email,
    emailVerified: false,
    role: input.role ?? 'user',
    passwordHash,
    createdAt: now,
  } as const;
  const created = await deps.store.transaction(async (store) => {
    if (!(await store.createAccount(account))) return false;
    // The policy's grace period starts at creation for a covered role.
    await applyPolicyToAccount(deps, store, account.id, account.role, now);
    await recordAudit(
      deps,
      { type: 'account.created', outcome: 'success', userId: account.id, username, actor: actor.name, ip: actor.ip, detail: { role: account.role } },
      store,
    );
    return true;
  });
  if (!created) throw new DomainError('conflict', localize('The username "{username}" is already taken.', { username }), { field: 'username' });
  const stored = await deps.store.findAccountById(account.id);
  if (stored === null) throw new DomainError('not_found', localize('No account named "{username}".', { username }));
  return stored;
}
