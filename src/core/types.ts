export type Role = 'user' | 'admin';
export type ClientKind = 'web' | 'desktop' | 'mobile';
export type SecondFactorMethod = 'totp' | 'email';
/** What a login challenge can be answered with. */
export type ChallengeMethod = SecondFactorMethod | 'recovery_code';

export interface Account {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: Role;
  passwordHash: string;
  twoFactorMethod: SecondFactorMethod | null;
  /** When two-factor was last turned on; reauthentications older than this do not count. */
  twoFactorChangedAt: number | null;
  /** Moves on whenever the account's sessions must end; only sessions of the current epoch count. */
  sessionEpoch: number;
  createdAt: number;
}

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
  /** When the Password window was last passed in this session. */
  reauthenticatedAt: number | null;
  /** Whether that reauthentication also proved the second factor. */
  reauthenticatedWithSecondFactor: boolean;
  accountEpoch: number;
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
  | 'reauth'
  | 'two_factor.setup_started'
  | 'two_factor.enabled'
  | 'two_factor.disabled'
  | 'two_factor.admin_reset'
  | 'recovery_codes.regenerated'
  | 'recovery_code.used'
  | 'password.changed'
  | 'account.created'
  | 'account.unlocked'
  | 'session.revoked'
  | 'logout'
  | 'email.change_requested'
  | 'email.verified';

/** Who did something and from where, carried into audit events. */
export interface RequestContext {
  ip: string;
  userAgent: string | null;
}
