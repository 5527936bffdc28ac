// Row shapes as stored. Times are integer milliseconds since the epoch in both dialects, and
// flags are 0/1 integers, so the same queries run unchanged on SQLite and PostgreSQL.

export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased, NFC-normalised username; the unique index that makes usernames unique. */
  username_key: string;
  display_name: string;
  email: string | null;
  email_verified: number;
  role: string;
  password_hash: string;
  /** When two-factor was last changed (an authenticator added or removed, turned off). */
  two_factor_changed_at: number | null;
  session_epoch: number;
  disabled: number;
  password_change_required: number;
  /** The interface language the account chose (a catalog's tag), or null: follow the browser. */
  language: string | null;
  /** When the two-factor policy started applying to the account; null while none does (migration 015). */
  two_factor_policy_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface PasswordTokensTable {
  /** SHA-256 of the token handed out; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** 'change' (forced change after a login) or 'reset' (the emailed link). */
  purpose: string;
  client: string | null;
  device_name: string | null;
  ip: string;
  user_agent: string | null;
  account_epoch: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface PendingTOTPSecretsTable {
  user_id: string;
  sealed_secret: string;
  /** The name the new authenticator will get. */
  name: string;
  created_at: number;
  expires_at: number;
}

/** Every credential of every account, one row each (migration 005). */
export interface AuthenticatorsTable {
  id: string;
  user_id: string;
  /** 'totp' | 'email' (passkeys add 'webauthn'). */
  type: string;
  name: string;
  /** Sealed with associated data `authenticator:<id>`; null for kinds without a secret. */
  sealed_secret: string | null;
  /**
   * Set only between migration 005 and the one-off re-sealing that follows it under the same
   * lock: the secret as the old release sealed it (bound to the account, `totp:<user id>`).
   */
  legacy_sealed_secret: string | null;
  /** TOTP: highest time step ever accepted, the replay guard of RFC 6238 §5.2, per credential. */
  last_used_step: number | null;
  clock_offset_seconds: number | null;
  created_at: number;
  last_used_at: number | null;
  /** WebAuthn (migration 009): credential id (base64url, unique), signature counter, transports, attachment. */
  credential_id: string | null;
  sign_count: number | null;
  /** Space-separated. */
  transports: string | null;
  attachment: string | null;
}

/** One live WebAuthn challenge per thing that asked for it (migration 009). */
export interface WebAuthnChallengesTable {
  binding: string;
  user_id: string | null;
  /** base64url, as sent in the options and signed in clientDataJSON. */
  challenge: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  client: string;
  device_name: string | null;
  ip: string;
  user_agent: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** RFC 8176 values, space-separated. */
  amr: string;
  auth_time: number;
  reauthenticated_at: number | null;
  reauth_amr: string | null;
  account_epoch: number;
  /** How the login's second step was met (014): a method, 'trusted_device', or null for none. */
  second_factor: string | null;
  /** The device row its login left (014); no foreign key: forgetting a device keeps the session. */
  device_id: string | null;
}

export interface LoginChallengesTable {
  /** SHA-256 of the challenge id handed to the client; the id itself is never stored. */
  id_hash: string;
  user_id: string;
  client: string;
  device_name: string | null;
  ip: string;
  user_agent: string | null;
  created_at: number;
  expires_at: number;
  attempts: number;
  consumed_at: number | null;
  account_epoch: number;
  /** The known device of the password step (014), renewed when the code step completes. */
  device_id: string | null;
}

export interface AttemptCountersTable {
  key: string;
  window_started_at: number;
  failures: number;
  pending: number;
  pending_at: number;
  locked_until: number;
  lockouts: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  type: string;
  outcome: string;
  user_id: string | null;
  username: string | null;
  actor: string | null;
  client: string | null;
  ip: string | null;
  detail: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface EmailCodesTable {
  /** One live code per purpose and subject: a new code replaces the previous one. */
  key: string;
  user_id: string;
  purpose: string;
  code_hash: string;
  /** The address the code was sent to (for verification of a new address). */
  address: string;
  created_at: number;
  expires_at: number;
  attempts: number;
  consumed_at: number | null;
}

export interface KnownDevicesTable {
  user_id: string;
  /** SHA-256 of client kind, device name and user agent. */
  fingerprint: string;
  first_seen_at: number;
}

export interface DevicesTable {
  id: string;
  user_id: string;
  /** SHA-256 of the device token the client holds; the token itself is never stored. */
  token_hash: string;
  /** A ClientKind: a token only counts for the client kind it was issued to. */
  client: string;
  name: string;
  created_at: number;
  last_used_at: number;
  /** When the user ticked "Trust this device"; null: known device only. */
  trusted_at: number | null;
}

export interface EndedSessionsTable {
  token_hash: string;
  user_id: string;
  /** A SessionEndReason (core/types.ts). */
  reason: string;
  ended_at: number;
  keep_until: number;
}

/** The bearer a user who must set up two-factor gets instead of a session (migration 015). */
export interface EnrollmentTokensTable {
  id: string;
  /** SHA-256 of the token handed out; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** 'policy' (the administrators require two-factor) or 'admin_recovery' (a code from an administrator). */
  purpose: string;
  client: string;
  device_name: string | null;
  ip: string;
  user_agent: string | null;
  account_epoch: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** One live code per account issued by an administrator (migration 015). */
export interface AdminRecoveryCodesTable {
  user_id: string;
  /** Keyed digest (SecretBox.mac) of the code. */
  code_hash: string;
  issued_by: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface Database {
  enrollment_tokens: EnrollmentTokensTable;
  admin_recovery_codes: AdminRecoveryCodesTable;
  ended_sessions: EndedSessionsTable;
  known_devices: KnownDevicesTable;
  devices: DevicesTable;
  users: UsersTable;
  pending_totp_secrets: PendingTOTPSecretsTable;
  authenticators: AuthenticatorsTable;
  webauthn_challenges: WebAuthnChallengesTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  login_challenges: LoginChallengesTable;
  attempt_counters: AttemptCountersTable;
  audit_events: AuditEventsTable;
  email_codes: EmailCodesTable;
  meta: MetaTable;
  password_tokens: PasswordTokensTable;
}
