import { randomBytes } from 'node:crypto';
import { encodeBase32 } from '../core/base32.ts';
import { createTOTPKeyURI } from '../core/key-uri.ts';
import { TOTP_DEFAULTS } from '../core/totp.ts';
import type { Account, RequestContext, Session } from '../core/types.ts';
import { recordAudit } from './shared/audit.ts';
import type { FlowDeps } from './shared/deps.ts';
import { requireRecentReauthentication } from './shared/reauthentication.ts';

export interface TOTPSetup {
  secret: string;
  otpauthUri: string;
  algorithm: 'SHA1';
  digits: 6;
  period: 30;
}

export function pendingTOTPAssociatedData(userId: string): string {
  return `pending-totp:${userId}`;
}

/**
 * Creates a new secret and keeps it pending (sealed) until a code proves the app has it.
 * A pending secret never takes part in login, and a new setup replaces the previous one.
 */
export async function startTOTPSetup(deps: FlowDeps, session: Session, account: Account, context: RequestContext): Promise<TOTPSetup> {
  requireRecentReauthentication(deps, session, account, { changesTwoFactor: true });
  // 160 bits: the HMAC-SHA1 output size, as RFC 4226 §4 recommends.
  const secret = encodeBase32(randomBytes(20));
  const now = deps.clock();
  await deps.store.transaction(async (store) => {
    await store.savePendingTOTPSecret(
      account.id,
      deps.secretBox.seal(secret, pendingTOTPAssociatedData(account.id)),
      now,
      now + deps.settings.limits.pendingSecretTtlMs,
    );
    await recordAudit(
      deps,
      {
        type: 'two_factor.setup_started',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: session.client,
        ip: context.ip,
        detail: { method: 'totp' },
      },
      store,
    );
  });
  return {
    secret,
    otpauthUri: createTOTPKeyURI({ issuer: deps.settings.issuer, accountName: account.username, secret }),
    ...TOTP_DEFAULTS,
  };
}
