import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AMRValue, Account, AuditEventType, AuthenticatorType } from '../../core/types.ts';
import type { FlowDeps } from '../shared/deps.ts';

/**
 * What a user submits to prove a second factor, discriminated on `method`. A new factor adds
 * its own member here (passkeys: `{ method: 'webauthn'; response: ... }`), not a new code field.
 */
export type SecondFactorProof =
  | { method: 'totp'; code: string }
  | { method: 'email'; code: string }
  | { method: 'recovery_code'; code: string }
  /** A one-time code an administrator issued after the user lost every authenticator (flows/factors/admin-recovery). */
  | { method: 'admin_recovery'; code: string }
  /** `passwordless`: the key stands in for the password too, so user verification is required. Set by the flow, never by a client. */
  | { method: 'webauthn'; response: AuthenticationResponseJSON; passwordless?: boolean };

export type ProofMethod = SecondFactorProof['method'];

/**
 * The fields of a second-factor request besides `method` (after the HTTP schema checked their
 * types). Code factors read `code`; a passkey will read `response`.
 */
export interface ProofInput {
  code?: string;
  response?: unknown;
}

/** What a factor's optional challenge start needs: where its answer will be checked. */
export interface ChallengeStartContext {
  deps: FlowDeps;
  account: Account;
  /** The key its emailed code (or other per-attempt state) is stored under. */
  attemptKey: string;
  purpose: 'login' | 'reauth';
  /** Accept-Language of the request (the account's own): the mail's language without a stored choice. */
  requestLanguage?: string | undefined;
}

/** A factor's judgement of one proof. A match is spent by then (exactly one caller wins). */
export type FactorVerdict =
  /** `amr`: what this proof contributed when it depends on the authenticator (a passkey's hwk or swk); else the factor's own. */
  | { outcome: 'accepted'; authenticatorId: string | null; amr?: readonly AMRValue[] }
  /**
   * `clockSkewSeconds`: the code matched an app's past step (RFC 6238 §6); still wrong.
   * `audit`: an event of the factor's own to record besides the failure (a passkey's counter going back).
   */
  | { outcome: 'wrong'; clockSkewSeconds?: number; audit?: { type: AuditEventType; detail: Record<string, string | number | boolean> } }
  | { outcome: 'reused' };

export interface VerifyContext {
  deps: FlowDeps;
  account: Account;
  /** Where an emailed code for this attempt is stored (bound to the login challenge or the session). */
  emailCodeKey: string | null;
  purpose: 'login' | 'reauth';
  /** Accept-Language of the request (the account's own): the mail's language without a stored choice. */
  requestLanguage?: string | undefined;
}

/**
 * The shape every factor folder exports (flows/factors/<kind>/index.ts), listed once in
 * registry.ts. Limits, audit and notices are not a factor's business: proveSecondFactor keeps them.
 */
export interface SecondFactor<P extends SecondFactorProof = SecondFactorProof> {
  method: P['method'];
  /** The authenticator kind this factor checks; null for recovery codes (not an authenticator). */
  authenticatorType: AuthenticatorType | null;
  /** RFC 8176 values a proof by this factor contributes ('mfa' is added by the caller). */
  amr: readonly AMRValue[];
  /** Whether the account can answer a challenge with this factor now. */
  isAvailable(deps: FlowDeps, account: Account): Promise<boolean>;
  /** The request's fields as this factor's proof; throws `validation_error` when they do not fit. */
  readProof(input: ProofInput): P;
  /** Optional: what the client needs before it can answer (email: mails a code; passkeys: request options). */
  startChallenge?(context: ChallengeStartContext): Promise<object>;
  verify(context: VerifyContext, proof: P): Promise<FactorVerdict>;
}

/** What the owner and administrators see of an authenticator kind. */
export interface AuthenticatorKind {
  type: AuthenticatorType;
  /** Shown in Security Settings ("Authenticator app"). */
  label: string;
  /** The name a new one gets when the owner gives none. */
  defaultName: string;
  /** How many of this kind one account may hold. */
  maxPerAccount: number;
}
