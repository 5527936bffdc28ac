import { randomUUID } from 'node:crypto';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { DomainError } from '../../../core/errors.ts';
import type { Account, Authenticator, RequestContext, Session } from '../../../core/types.ts';
import type { FlowDeps } from '../../shared/deps.ts';
import { EDITED_SUCCESSFULLY } from '../../shared/messages.ts';
import { requireRecentAuthentication } from '../../shared/reauthentication.ts';
import type { EnrollmentToken } from '../../../store/store.ts';
import { addAuthenticatorFor, notifyRecovered } from '../../login/enrollment.ts';
import { checkAuthenticatorName } from '../totp/start-setup.ts';
import type { EnableResult } from '../totp/enable.ts';
import { webauthnBindings } from './bindings.ts';
import { signedChallenge, verifyRegistration } from './ceremonies.ts';
import { sealCredential } from './credential-material.ts';

const REGISTRATION_FAILED = 'The passkey or security key could not be registered. Try again.';

/**
 * Completes a registration started by startWebAuthnRegistration in this session: the challenge
 * is consumed once, the response verified (origin, RP ID, challenge, signature), and the key
 * becomes an authenticator; the account's first one turns two-factor on, as for an app.
 */
export async function finishWebAuthnRegistration(
  deps: FlowDeps,
  input: { session: Session; account: Account; name?: string | undefined; response: RegistrationResponseJSON; enrollment?: EnrollmentToken | undefined; trustDevice?: boolean },
  context: RequestContext,
): Promise<EnableResult> {
  const { session, account } = input;
  requireRecentAuthentication(deps, session, account, { factors: 2 });
  const now = deps.clock();
  const challenge = await signedChallenge(input.response);
  const taken = challenge === null ? null : await deps.store.takeWebAuthnChallenge(webauthnBindings.registration(session.id), challenge, now);
  if (challenge === null || taken === null || taken.userId !== account.id) {
    throw new DomainError('invalid_code', 'This passkey request has expired or was already used. Start again.');
  }
  const credential = await verifyRegistration(deps.settings.relyingParty, { response: input.response, expectedChallenge: challenge });
  if (credential === null) throw new DomainError('invalid_code', REGISTRATION_FAILED);

  const id = randomUUID();
  const defaultName = credential.attachment === 'cross-platform' ? 'Security key' : 'Passkey';
  const authenticator: Authenticator = {
    id,
    userId: account.id,
    type: 'webauthn',
    name: checkAuthenticatorName(input.name ?? defaultName),
    sealedSecret: sealCredential(deps.secretBox, id, { credentialId: credential.id, publicKey: credential.publicKey }),
    lastUsedStep: null,
    clockOffsetSeconds: null,
    createdAt: now,
    lastUsedAt: null,
    webauthn: { credentialId: credential.id, signCount: credential.counter, transports: credential.transports, attachment: credential.attachment },
  };
  const { recoveryCodes, signedIn } = await deps.store.transaction(async (store) => {
    // excludeCredentials asks the browser not to register a key twice; this holds even if it did.
    if ((await store.findWebAuthnAuthenticator(credential.id)) !== null) {
      throw new DomainError('conflict', 'This passkey or security key is already registered.');
    }
    const added = await addAuthenticatorFor(deps, store, {
      account,
      session,
      enrollment: input.enrollment,
      trustDevice: input.trustDevice === true,
      authenticator,
      context,
      auditDetail: { attachment: credential.attachment ?? 'unknown', user_verified: credential.userVerified, discoverable: credential.discoverable ?? 'unknown' },
    });
    return added;
  });
  // One notice either way, titled as the issue words it: "A passkey was added to your account".
  if (input.enrollment?.purpose === 'admin_recovery') await notifyRecovered(deps, account, 'webauthn');
  else await deps.notifier.notify(account, 'authenticator_added', { name: authenticator.name, kind: 'passkey', ...(recoveryCodes === null ? {} : { twoFactorTurnedOn: 'yes' }) });
  return { message: EDITED_SUCCESSFULLY, recoveryCodes, authenticator, signedIn };
}
