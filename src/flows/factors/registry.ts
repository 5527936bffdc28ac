import { DomainError } from '../../core/errors.ts';
import { classifyCode } from '../../core/codes.ts';
import type { Account, AuthenticatorType, ChallengeMethod } from '../../core/types.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { emailFactor, emailKind } from './email/index.ts';
import { recoveryCodeFactor } from './recovery-codes/index.ts';
import { adminRecoveryFactor } from './admin-recovery/index.ts';
import { totpFactor, totpKind } from './totp/index.ts';
import { webauthnFactor, webauthnKind } from './webauthn/index.ts';
import type { AuthenticatorKind, ProofInput, ProofMethod, SecondFactor, SecondFactorProof } from './types.ts';

/**
 * The one list of second factors, in the order clients should offer them. Adding a factor is
 * its folder, its migration and one line here (and in AUTHENTICATOR_KINDS if it is a kind of
 * authenticator).
 */
const FACTORS: { [M in ProofMethod]: SecondFactor<Extract<SecondFactorProof, { method: M }>> } = {
  webauthn: webauthnFactor,
  totp: totpFactor,
  email: emailFactor,
  recovery_code: recoveryCodeFactor,
  admin_recovery: adminRecoveryFactor,
};

export const AUTHENTICATOR_KINDS: Record<AuthenticatorType, AuthenticatorKind> = {
  totp: totpKind,
  email: emailKind,
  webauthn: webauthnKind,
};

export function factorFor<M extends ProofMethod>(method: M): SecondFactor<Extract<SecondFactorProof, { method: M }>> {
  return FACTORS[method];
}

export function allFactors(): SecondFactor[] {
  return Object.values(FACTORS) as SecondFactor[];
}

/**
 * Methods an account can answer a challenge with: each kind of authenticator it has, in the
 * order it added them (the oldest first, as `twoFactor.method` names it), then recovery codes.
 */
export async function availableMethods(deps: FlowDeps, account: Account): Promise<ChallengeMethod[]> {
  if (account.authenticatorCount === 0) return [];
  const kinds: ChallengeMethod[] = [];
  for (const authenticator of await deps.store.listAuthenticators(account.id)) {
    if (!kinds.includes(authenticator.type)) kinds.push(authenticator.type);
  }
  for (const factor of allFactors()) {
    if (factor.authenticatorType === null && factor.method === 'recovery_code' && (await factor.isAvailable(deps, account))) kinds.push(factor.method);
  }
  return kinds;
}

/** Whether the account can answer with `method`: one count, for the second step's hot path. */
export async function canUseMethod(deps: FlowDeps, account: Account, method: ProofMethod): Promise<boolean> {
  if (account.authenticatorCount === 0) return false;
  return FACTORS[method].isAvailable(deps, account);
}

/** A second-factor request as the proof its method's factor expects (the factor reads its own fields). */
export function readProof(method: ProofMethod, input: ProofInput): SecondFactorProof {
  return factorFor(method).readProof(input);
}


/**
 * The Password window has one field for any code: its shape says recovery code or 6 digits, and
 * 6 digits may be from any app or the emailed code, so each kind the account has is a candidate
 * (proveSecondFactor checks them under one attempt).
 */
export async function passwordWindowProofs(deps: FlowDeps, account: Account, code: string): Promise<SecondFactorProof[]> {
  const shape = classifyCode(code);
  if (shape === 'recovery_code') return [{ method: 'recovery_code', code }];
  if (shape === null) throw new DomainError('validation_error', 'Enter the 6-digit code or a recovery code such as ABCDE-FGHJK.', { field: 'code' });
  const kinds = (await availableMethods(deps, account)).filter((m): m is 'totp' | 'email' => m === 'totp' || m === 'email');
  return kinds.map((method) => ({ method, code }));
}
