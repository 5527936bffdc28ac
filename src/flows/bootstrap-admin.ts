import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors.ts';
import { checkPasswordStrength } from '../core/passwords.ts';
import type { FlowDeps } from './shared/deps.ts';
import { createAccount } from './create-account.ts';

export interface BootstrapResult {
  created: boolean;
  /** Set only when this call created the account with a password it generated: show it once. */
  generatedPassword: string | null;
}

/**
 * First start on an empty database creates `admin`. There is no default password: it is the
 * operator's TWOFOLD_ADMIN_PASSWORD or a generated one. When several instances start at once
 * the unique username lets exactly one of them create it, and only that one reports a password.
 */
export async function bootstrapAdmin(deps: FlowDeps, configuredPassword: string | null): Promise<BootstrapResult> {
  if ((await deps.store.countAccounts()) > 0) return { created: false, generatedPassword: null };
  const weakness = configuredPassword === null ? null : checkPasswordStrength(configuredPassword);
  if (weakness !== null) throw new DomainError('validation_error', `TWOFOLD_ADMIN_PASSWORD: ${weakness}`);
  const generatedPassword = configuredPassword === null ? randomBytes(18).toString('base64url') : null;
  try {
    await createAccount(
      deps,
      { username: 'admin', password: configuredPassword ?? generatedPassword ?? '', displayName: 'Administrator', role: 'admin' },
      { name: 'system:first-start', ip: null },
    );
  } catch (error) {
    if (error instanceof DomainError && error.code === 'conflict') return { created: false, generatedPassword: null };
    throw error;
  }
  return { created: true, generatedPassword };
}
