import { DomainError } from '../core/errors.ts';
import { combineAMR } from '../core/amr.ts';
import type { Account, ClientKind } from '../core/types.ts';
import { proveSecondFactor } from './factors/prove-second-factor.ts';
import { availableMethods, canUseMethod } from './factors/registry.ts';
import type { SecondFactorProof } from './factors/types.ts';
import { recordAudit } from './shared/audit.ts';
import { challengeExpired, loadLiveChallenge } from './shared/challenges.ts';
import type { FlowDeps } from './shared/deps.ts';
import { emailCodeKeys } from './shared/email-codes.ts';
import { issueSession, notifyNewDevice, rememberSignInDevice } from './shared/sessions.ts';
import { localize } from '../i18n/format.ts';
import { startEnrollment, type StartedEnrollment } from './login/enrollment.ts';

export interface VerifySecondFactorInput {
  challengeId: string;
  proof: SecondFactorProof;
  /** "Trust this device": the next logins from this client skip this step (issue 11). */
  trustDevice: boolean;
}

export type VerifySecondFactorOutcome = ({ status: 'ok' } & VerifySecondFactorResult) | (StartedEnrollment & { account: Account });

export interface VerifySecondFactorResult {
  token: string;
  expiresAt: number;
  account: Account;
  /** The client named at the password step; the session belongs to it. */
  clientKind: ClientKind;
  /** Left after a recovery code was used, so clients can urge the user to make new ones. */
  recoveryCodesLeft: number | null;
  /** The device credential left on the client (known, and trusted when asked). */
  deviceToken: string;
}

/**
 * The second step of a login: a challenge plus a valid code becomes a session, exactly once. An
 * administrator's recovery code becomes an enrollment token instead: the user must set up a new
 * authenticator before any session exists.
 */
export async function verifySecondFactor(deps: FlowDeps, input: VerifySecondFactorInput): Promise<VerifySecondFactorOutcome> {
  const { idHash, challenge, account } = await loadLiveChallenge(deps, input.challengeId);
  const { method } = input.proof;
  // A code from an administrator is never listed in `methods`, but any account can present one.
  if (method !== 'admin_recovery' && !(await canUseMethod(deps, account, method))) {
    const methods = await availableMethods(deps, account);
    throw new DomainError('validation_error', localize('This account cannot sign in with method "{method}". Use one of: {methods}.', { method, methods: methods.join(', ') }));
  }

  const proven = await proveSecondFactor(deps, {
    account,
    proofs: [input.proof],
    emailCodeKey: emailCodeKeys.login(idHash),
    client: challenge.client,
    ip: challenge.ip,
    purpose: 'login',
    beforeCheck: () => deps.store.spendChallengeAttempt(idHash, deps.clock(), deps.settings.limits.challengeMaxAttempts),
    onAbort: challengeExpired,
  });

  const origin = { client: challenge.client, deviceName: challenge.deviceName, ip: challenge.ip, userAgent: challenge.userAgent };
  if (method === 'admin_recovery') {
    const started = await deps.store.transaction(async (store) => {
      if (!(await store.consumeLoginChallenge(idHash, deps.clock()))) throw challengeExpired();
      await recordAudit(
        deps,
        { type: 'login.second_factor', outcome: 'success', userId: account.id, username: account.username, client: challenge.client, ip: challenge.ip, detail: { method } },
        store,
      );
      return startEnrollment(deps, store, { account, origin, purpose: 'admin_recovery' });
    });
    return { ...started, account };
  }
  const { issued, newDevice } = await deps.store.transaction(async (store) => {
    // Of two requests carrying two valid codes, only the one that consumes the challenge gets a session.
    if (!(await store.consumeLoginChallenge(idHash, deps.clock()))) throw challengeExpired();
    const amr = combineAMR({ password: true, secondFactor: proven.amr });
    const device = { knownDeviceId: challenge.deviceId ?? null, trust: input.trustDevice };
    const result = await issueSession(deps, { account, origin, amr, secondFactor: method, device }, store);
    await recordAudit(
      deps,
      {
        type: 'login.second_factor',
        outcome: 'success',
        userId: account.id,
        username: account.username,
        client: challenge.client,
        ip: challenge.ip,
        detail: { method, ...(device.trust && deps.settings.trustedDeviceDays > 0 ? { trust_device: true } : {}), ...(proven.authenticatorId === null ? {} : { authenticator_id: proven.authenticatorId }) },
      },
      store,
    );
    return { issued: result, newDevice: await rememberSignInDevice(deps, account, origin, store) };
  });

  const recoveryCodesLeft = method === 'recovery_code' ? await deps.store.countUnusedRecoveryCodes(account.id) : null;
  if (newDevice) await notifyNewDevice(deps, account, origin);
  return { status: 'ok', token: issued.token, expiresAt: issued.session.expiresAt, account, clientKind: challenge.client, recoveryCodesLeft, deviceToken: issued.deviceToken };
}
