import { generateAdminRecoveryCode, hashAdminRecoveryCode } from '../../core/admin-recovery-codes.ts';
import { DomainError } from '../../core/errors.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { requireAdminReauthentication } from '../shared/reauthentication.ts';
import { findAccountOrFail } from './find-account.ts';
import { localize } from '../../i18n/format.ts';

/** A day: time to reach the user by phone or in person, short enough that a code lost on the way soon dies. */
export const ADMIN_RECOVERY_TTL_MS = 24 * 60 * 60_000;

/**
 * "Issue a recovery code": a one-time code the administrator hands the user (shown once, stored
 * as a keyed digest, replacing any earlier one). With their password it lets the user sign in
 * once to set up a new authenticator; the old ones go only when that setup ends. The
 * administrator never sees any of the user's secrets, and the account is never left with the
 * password alone, as turning two-factor off would leave it.
 */
export async function issueAdminRecoveryCode(deps: FlowDeps, username: string, actor: AdminActor): Promise<{ code: string; expiresAt: number }> {
  requireAdminReauthentication(deps, actor);
  const account = await findAccountOrFail(deps, username);
  if (account.disabled) throw new DomainError('conflict', localize('{username} is disabled. Enable the account first.', { username: account.username }));
  const code = generateAdminRecoveryCode();
  const now = deps.clock();
  const expiresAt = now + ADMIN_RECOVERY_TTL_MS;
  await deps.store.transaction(async (store) => {
    await store.saveAdminRecoveryCode({
      userId: account.id,
      codeHash: hashAdminRecoveryCode(account.id, code, (value) => deps.secretBox.mac(value)),
      issuedBy: actor.name,
      createdAt: now,
      expiresAt,
      consumedAt: null,
    });
    await recordAudit(
      deps,
      {
        type: 'two_factor.recovery_issued',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        actor: actor.name,
        ip: actor.ip,
        detail: { expires_at: expiresAt, two_factor_enabled: account.authenticatorCount > 0 },
      },
      store,
    );
  });
  // The owner hears of it: an administrator talked into this by an impostor is then noticed.
  await deps.notifier.notify(account, 'two_factor_recovery_issued', { administrator: actor.name, expiresAt: new Date(expiresAt).toISOString() });
  return { code, expiresAt };
}
