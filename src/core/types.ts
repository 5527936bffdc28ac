export type Role = 'user' | 'admin';
export type ClientKind = 'web' | 'desktop' | 'mobile';
/** Kinds of authenticator an account can hold (passkeys add theirs). */
export type AuthenticatorType = 'totp' | 'email' | 'webauthn';
/** Kept for the API's `twoFactor.method`: the kind of the account's oldest authenticator. */
export type SecondFactorMethod = AuthenticatorType;
/** What a login challenge can be answered with. */
export type ChallengeMethod = AuthenticatorType | 'recovery_code';

/** Authentication Method Reference values (RFC 8176 §2) that Twofold records. */
export type AMRValue = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'swk' | 'user';

/**
 * One credential of an account (Keycloak's CredentialModel, Kratos's identity_credentials). Only
 * confirmed authenticators exist as rows; "two-factor is on" means the account has at least one.
 */
export interface Authenticator {
  id: string;
  userId: string;
  type: AuthenticatorType;
  /** The owner's label ("Work phone"). */
  name: string;
  /** Secret material sealed with the authenticator's id as associated data; null for email. */
  sealedSecret: string | null;
  /** TOTP: the highest step ever accepted (RFC 6238 §5.2, per credential). */
  lastUsedStep: number | null;
  /** TOTP: (matched step - current step) x 30 of the last accepted code; negative: phone behind. */
  clockOffsetSeconds: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  /** WebAuthn (passkeys, security keys): the state a key needs beside its sealed public key; null for other kinds. */
  webauthn?: WebAuthnState | null;
}

export interface WebAuthnState {
  /** The credential id the authenticator reports (base64url); unique across all accounts. */
  credentialId: string;
  /** The signature counter last accepted (WebAuthn §6.1.1); 0 for keys that do not count. */
  signCount: number;
  /** Transports the browser reported at registration, handed back as hints in allowCredentials. */
  transports: string[];
  /** What the browser reported at registration; with attestation `none` the only hint of the kind of key. */
  attachment: 'platform' | 'cross-platform' | null;
}

export interface Account {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: Role;
  passwordHash: string;
  /** Derived from the authenticators: the kind of the oldest one, null when there is none. */
  twoFactorMethod: SecondFactorMethod | null;
  /** How many authenticators the account has (derived, never stored beside them). */
  authenticatorCount: number;
  /** When two-factor was last changed; reauthentications older than this do not count. */
  twoFactorChangedAt: number | null;
  /** Moves on whenever the account's sessions must end; only sessions of the current epoch count. */
  sessionEpoch: number;
  /** A disabled account cannot log in; its sessions ended when it was disabled. */
  disabled: boolean;
  /** Set by an administrator's password reset: the next login must choose a new password first. */
  passwordChangeRequired: boolean;
  /** The interface language the account chose ("de", "zh-CN"), or null: clients follow the browser. */
  language: string | null;
  /**
   * When the administrators' two-factor policy started applying to this account (policy change,
   * creation, promotion); null while none applies. The grace deadline counts from here.
   */
  twoFactorPolicySince: number | null;
  createdAt: number;
}

/**
 * Why a session ended, as a 401 for its token tells the client that still holds it
 * (docs/api.md, "Session ended"). The values are part of the API: keep them.
 */
export const SESSION_END_REASONS = [
  'password_changed',
  'two_factor_changed',
  'email_changed',
  'revoked',
  'administrator',
  'logged_out_elsewhere',
  'expired',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export interface Session {
  id: string;
  userId: string;
  client: ClientKind;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  /** How the login that made this session was proved (RFC 8176). */
  amr: AMRValue[];
  /** When that login finished (OpenID Connect's auth_time). */
  authTime: number;
  /** When the Password window was last passed in this session. */
  reauthenticatedAt: number | null;
  /** How that Password-window confirmation was proved; null when there was none. */
  reauthAmr: AMRValue[] | null;
  accountEpoch: number;
  /**
   * How the second step of the login was met: the method used, 'trusted_device' when a trusted
   * device stood in for it, null when the login had no second step ('unknown' for sessions made
   * before migration 014 with one).
   */
  secondFactor: SessionSecondFactor | null;
  /** The device credential its login left on the client (null for sessions made before 014). */
  deviceId: string | null;
}

export type SessionSecondFactor = ChallengeMethod | 'trusted_device' | 'unknown';

/** A client a login completed on, as its owner and administrators see it (never its token). */
export interface Device {
  id: string;
  userId: string;
  client: ClientKind;
  name: string;
  createdAt: number;
  lastUsedAt: number;
  /** When the user ticked "Trust this device"; null for a known device only. */
  trustedAt: number | null;
}

export interface LoginChallenge {
  id: string;
  userId: string;
  client: ClientKind;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  consumedAt: number | null;
  accountEpoch: number;
  /** The known device the password step came from (its credential is renewed at the code step). */
  deviceId?: string | null;
}

export interface AuditEvent {
  id: string;
  at: number;
  type: AuditEventType;
  outcome: 'success' | 'failure';
  userId: string | null;
  username: string | null;
  actor: string | null;
  client: ClientKind | null;
  ip: string | null;
  detail: Record<string, string | number | boolean> | null;
}

export type AuditEventType =
  | 'login.password'
  | 'login.second_factor'
  | 'login.lockout'
  | 'login.passkey'
  | 'webauthn.counter_regression'
  | 'reauth'
  | 'two_factor.setup_started'
  | 'two_factor.enabled'
  | 'two_factor.disabled'
  | 'authenticator.added'
  | 'authenticator.renamed'
  | 'authenticator.removed'
  | 'two_factor.admin_reset'
  | 'recovery_codes.regenerated'
  | 'recovery_code.used'
  | 'password.changed'
  | 'password.admin_reset'
  | 'password.reset_requested'
  | 'password.reset'
  | 'account.created'
  | 'account.unlocked'
  | 'account.updated'
  | 'account.role_changed'
  | 'account.disabled'
  | 'account.enabled'
  | 'account.deleted'
  | 'session.revoked'
  | 'device.forgotten'
  | 'devices.trust_ended'
  | 'logout'
  | 'email.change_requested'
  | 'email.verified'
  | 'policy.changed'
  | 'two_factor.enrollment_required'
  | 'two_factor.recovery_issued'
  | 'two_factor.recovered'
  | 'enrollment.ended';

/** Who did something and from where, carried into audit events. */
export interface RequestContext {
  ip: string;
  userAgent: string | null;
  /**
   * The request's Accept-Language: a mail this request sends to its own account (a code, a reset
   * link) is in that language when the account stored no choice. Never used for another account.
   */
  acceptLanguage?: string | undefined;
}
