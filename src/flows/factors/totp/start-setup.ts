import { randomBytes } from 'node:crypto';
import { pendingTOTPAssociatedData } from '../../../core/associated-data.ts';
import { encodeBase32 } from '../../../core/base32.ts';
import { DomainError } from '../../../core/errors.ts';
import { createTOTPKeyURI } from '../../../core/key-uri.ts';
import { TOTP_DEFAULTS } from '../../../core/totp.ts';
import type { Account, RequestContext, Session } from '../../../core/types.ts';
import { recordAudit } from '../../shared/audit.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import { tooManyOfKind } from '../../shared/two-factor-state.ts';
import { totpKind } from './index.ts';
import { localize } from '../../../i18n/format.ts';

export interface TOTPSetup {
  secret: string;
  otpauthUri: string;
  algorithm: 'SHA1';
  digits: 6;
  period: 30;
  /** True when this is the pending secret of an earlier setup, false when it is new. */
  reused: boolean;
}

export const AUTHENTICATOR_NAME_MAX = 64;

/** The owner's label for an authenticator: trimmed, 1 to 64 characters. */
export function checkAuthenticatorName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || [...trimmed].length > AUTHENTICATOR_NAME_MAX || /\p{Cc}/u.test(trimmed)) {
    throw new DomainError('validation_error', localize('The name must be 1 to {max} characters.', { max: AUTHENTICATOR_NAME_MAX }));
  }
  return trimmed;
}

/**
 * Creates a new secret and keeps it pending (sealed) until a code proves the app has it. A
 * pending secret never takes part in login, and a new setup replaces the previous one, unless
 * the client asks to `reusePending`: then a still-valid pending secret (and the name it was
 * started with) is handed back, so a reload mid-setup does not invalidate the entry the user
 * already scanned. While two-factor is on this adds an app, a two-factor change: it needs the
 * Password window with a code.
 */
export async function startTOTPSetup(
  deps: FlowDeps,
  session: Session,
  account: Account,
  context: RequestContext,
  options: { name?: string; reusePending?: boolean } = {},
): Promise<TOTPSetup> {
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const name = checkAuthenticatorName(options.name ?? totpKind.defaultName);
  if ((await deps.store.countAuthenticators(account.id, 'totp')) >= totpKind.maxPerAccount) throw tooManyOfKind('totp');
  if (options.reusePending === true) {
    const pending = await deps.store.findPendingTOTPSecret(account.id, deps.clock());
    const secret = pending === null ? null : deps.secretBox.open(pending.sealedSecret, pendingTOTPAssociatedData(account.id));
    if (secret !== null) return describeSetup(deps, account, secret, true);
  }
  // 160 bits: the HMAC-SHA1 output size, as RFC 4226 §4 recommends.
  const secret = encodeBase32(randomBytes(20));
  const now = deps.clock();
  await deps.store.transaction(async (store) => {
    await store.savePendingTOTPSecret(
      account.id,
      { sealedSecret: deps.secretBox.seal(secret, pendingTOTPAssociatedData(account.id)), name },
      now,
      now + deps.settings.limits.pendingSecretTtlMs,
    );
    await recordAudit(
      deps,
      { type: 'two_factor.setup_started', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip, detail: { method: 'totp' } },
      store,
    );
  });
  return describeSetup(deps, account, secret, false);
}

function describeSetup(deps: FlowDeps, account: Account, secret: string, reused: boolean): TOTPSetup {
  return {
    secret,
    otpauthUri: createTOTPKeyURI({ issuer: deps.settings.issuer, accountName: account.username, secret }),
    ...TOTP_DEFAULTS,
    reused,
  };
}
