import type {
  Account,
  AMRValue,
  AuditEvent,
  Authenticator,
  AuthenticatorType,
  ClientKind,
  Device,
  LoginChallenge,
  Role,
  Session,
  SessionEndReason,
} from '../core/types.ts';

export interface NewAccount {
  id: string;
  username: string;
  usernameKey: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: Role;
  passwordHash: string;
  createdAt: number;
  /** Set when the two-factor policy applies to the account from its creation on. */
  twoFactorPolicySince?: number | null;
}

/** A session as created: a login's origin and times, plus the token's hash (never the token). */
export type NewSession = Omit<Session, 'lastSeenAt' | 'reauthenticatedAt' | 'reauthAmr'> & { tokenHash: string };

/** Why and when sessions end; remembered for the token's holder (store/migrations/013). */
export interface SessionEnding {
  reason: SessionEndReason;
  now: number;
}

/** A login challenge as created; its id is stored only as a hash. */
export type NewLoginChallenge = Omit<LoginChallenge, 'id' | 'attempts' | 'consumedAt'> & { idHash: string };

/** An authenticator as added: confirmed already (pending setups live elsewhere). */
export type NewAuthenticator = Omit<Authenticator, 'lastUsedAt'> & { lastUsedAt?: number | null };

export interface PendingTOTPSecret {
  sealedSecret: string;
  name: string;
}

export interface AttemptCounter {
  /** Wrong secrets in the current window. */
  failures: number;
  /** Checks in flight: slots taken by reserveAttempt and not yet released or failed. */
  pending: number;
  windowStartedAt: number;
  lockedUntil: number;
  lockouts: number;
}

export interface EmailCode {
  key: string;
  userId: string;
  purpose: string;
  codeHash: string;
  address: string;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  consumedAt: number | null;
}

export interface AuditQuery {
  limit: number;
  /** Only events strictly older than this `(at, id)` position: keyset pagination. */
  before?: { at: number; id: string };
  userId?: string;
  /** Events recorded under this username (those of a deleted account). */
  username?: string;
}

/** What an administrator can change on an account; an email set here is unverified. */
export interface AccountChanges {
  displayName?: string;
  email?: string | null;
  role?: Role;
  disabled?: boolean;
}

export type PasswordTokenPurpose = 'change' | 'reset';

/** A single-use token of the password flows, stored as its hash. */
export interface PasswordToken {
  tokenHash: string;
  userId: string;
  purpose: PasswordTokenPurpose;
  /** The login it continues (forced change); null for a reset link. */
  client: ClientKind | null;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
  /** Ending the account's sessions (a reset, disabling, a password change) voids the token. */
  accountEpoch: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface AccountStore {
  /** Returns false when the username is taken (unique index), leaving nothing written. */
  createAccount(account: NewAccount): Promise<boolean>;
  findAccountById(id: string): Promise<Account | null>;
  findAccountByUsernameKey(usernameKey: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  countAccounts(): Promise<number>;
  /** Sets the password; `changeRequired` makes the next login choose a new one (cleared otherwise). */
  updatePasswordHash(userId: string, passwordHash: string, now: number, options?: { changeRequired?: boolean }): Promise<void>;
  /** Records that two-factor changed now: Password-window proofs from before it stop counting. */
  markTwoFactorChanged(userId: string, now: number): Promise<void>;
  updateAccount(userId: string, changes: AccountChanges, now: number): Promise<void>;
  /**
   * Deletes the account and everything hanging off it but its audit events (authenticators
   * included); false when it was gone.
   */
  deleteAccount(userId: string): Promise<boolean>;
  /**
   * Queues every change to the set of active administrators behind one row lock, inside the
   * caller's transaction, so that the count read next cannot be stale when two such changes race.
   */
  lockAdministrators(): Promise<void>;
  countActiveAdministrators(): Promise<number>;
  setEmail(userId: string, email: string | null, verified: boolean, now: number): Promise<void>;
  /** Stores the account's interface language (null: none chosen); false when the account is gone. */
  setLanguage(userId: string, language: string | null, now: number): Promise<boolean>;
}

/** The account's credentials as rows (flows/factors/* and the authenticator flows use this). */
export interface AuthenticatorStore {
  /** False when a unique rule refuses it (a second email authenticator), leaving nothing written. */
  addAuthenticator(authenticator: NewAuthenticator): Promise<boolean>;
  /** Oldest first. */
  listAuthenticators(userId: string, type?: AuthenticatorType): Promise<Authenticator[]>;
  findAuthenticator(userId: string, id: string): Promise<Authenticator | null>;
  countAuthenticators(userId: string, type?: AuthenticatorType): Promise<number>;
  renameAuthenticator(userId: string, id: string, name: string): Promise<boolean>;
  /** False when the account has no such authenticator (already removed, or not its own). */
  removeAuthenticator(userId: string, id: string): Promise<boolean>;
  removeAuthenticators(userId: string): Promise<number>;
  /**
   * Records `step` as this authenticator's last used step only if it is newer than every step
   * it accepted before (RFC 6238 §5.2, per credential): of two requests with one code, one wins.
   */
  advanceAuthenticatorStep(id: string, step: number, use: { now: number; clockOffsetSeconds: number }): Promise<boolean>;
  markAuthenticatorUsed(id: string, now: number): Promise<void>;
  /**
   * Inside a transaction: takes the account row's write lock, so that two changes to one
   * account's authenticators (two parallel "Save"s at the limit of five) run one after the other.
   */
  lockAccountForUpdate(userId: string, now: number): Promise<void>;
}

export interface NewWebAuthnChallenge {
  /** What asked for it (flows/factors/webauthn/bindings.ts); one live challenge each. */
  binding: string;
  userId: string | null;
  challenge: string;
  createdAt: number;
  expiresAt: number;
}

/** Passkeys and security keys (flows/factors/webauthn/ uses this). */
export interface WebAuthnStore {
  /** Stores the challenge for `binding`, replacing any earlier one (used or not). */
  saveWebAuthnChallenge(challenge: NewWebAuthnChallenge): Promise<void>;
  /**
   * Consumes the live challenge of `binding` if it is `challenge` (the one the response signed);
   * exactly one caller gets it, null for everyone else and for a replaced or unknown challenge.
   */
  takeWebAuthnChallenge(binding: string, challenge: string, now: number): Promise<{ userId: string | null } | null>;
  /** The WebAuthn authenticator with this credential id, of any account; null once removed. */
  findWebAuthnAuthenticator(credentialId: string): Promise<Authenticator | null>;
  /**
   * Records the signature counter of an accepted assertion only if it moved forward (or stays 0
   * for a key that does not count): false means another use got there first with a higher one.
   */
  advanceSignCount(id: string, signCount: number, now: number): Promise<boolean>;
}

export interface TwoFactorCredentialStore {
  savePendingTOTPSecret(userId: string, pending: PendingTOTPSecret, now: number, expiresAt: number): Promise<void>;
  findPendingTOTPSecret(userId: string, now: number): Promise<PendingTOTPSecret | null>;
  /** Deletes the pending secret only if it is still `sealedSecret`; false when another request got there first. */
  takePendingTOTPSecret(userId: string, sealedSecret: string): Promise<boolean>;
  deletePendingTOTPSecret(userId: string): Promise<void>;

  replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void>;
  /** Marks the code used only if it exists and was unused; false otherwise. */
  useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  countUnusedRecoveryCodes(userId: string): Promise<number>;
  deleteRecoveryCodes(userId: string): Promise<void>;
}

export interface SessionStore {
  createSession(session: NewSession): Promise<void>;
  /**
   * The unexpired session with this token hash and its account, in one query, only while the
   * session belongs to the account's current epoch.
   */
  findLiveSession(tokenHash: string, now: number): Promise<{ session: Session; account: Account } | null>;
  touchSession(sessionId: string, now: number): Promise<void>;
  /** Records a Password-window confirmation and how it was proved (RFC 8176 amr). */
  markSessionReauthenticated(sessionId: string, now: number, amr: readonly AMRValue[]): Promise<void>;
  listSessions(userId: string, now: number): Promise<Session[]>;
  /** Ends one session and records why (for the holder of its token), in one statement pair. */
  deleteSession(sessionId: string, userId: string, ending: SessionEnding): Promise<boolean>;
  /**
   * Ends every session of the account but `keepSessionId`, and voids its open login challenges.
   * The account's session epoch moves on first, and only sessions of the current epoch
   * authenticate, so a session that a login racing this change inserts a moment later is dead
   * on arrival. `kept` is false when the session to keep was itself already stale: the caller
   * must then refuse the change (it came from a session that should no longer exist).
   */
  endSessionsOfAccount(userId: string, ending: SessionEnding, keepSessionId?: string): Promise<{ ended: number; kept: boolean }>;
  /**
   * Why the session of this token hash ended, while that is remembered (one session lifetime
   * after the end), or 'expired' for an expired session not yet swept; null otherwise.
   */
  findSessionEnd(tokenHash: string, now: number): Promise<SessionEndReason | null>;
  /**
   * Removes expired sessions (remembering them as 'expired'), challenges, pending secrets,
   * codes, idle attempt counters and forgotten session ends.
   */
  deleteExpired(now: number): Promise<void>;

  /** Remembers a device; returns whether it was new. The primary key makes this exactly-once. */
  rememberDevice(userId: string, fingerprint: string, now: number): Promise<boolean>;
  countKnownDevices(userId: string): Promise<number>;
}

export type NewDevice = Device & { tokenHash: string };

/** Device credentials (migration 014): known devices and trusted ones. */
export interface DeviceStore {
  createDevice(device: NewDevice): Promise<void>;
  findDeviceByTokenHash(tokenHash: string): Promise<Device | null>;
  /**
   * Gives the device a new token hash and last use (and trust from `now` with `trust`). With
   * `asTrusted`, only while the device is still trusted since after `trustedAfter` and still has
   * the token hash read: the guarded statement a trusted-device login stands on.
   */
  renewDevice(
    id: string,
    userId: string,
    renewal: { newTokenHash: string; now: number; trust: boolean; asTrusted?: { tokenHash: string; trustedAfter: number } },
  ): Promise<boolean>;
  listDevices(userId: string): Promise<Device[]>;
  deleteDevice(userId: string, id: string): Promise<boolean>;
  deleteDevices(userId: string, options: { trustedOnly: boolean }): Promise<number>;
  /** Every trusted device of the account becomes a known device only; returns how many. */
  endDeviceTrust(userId: string): Promise<number>;
  /** The latest lock in force among the account's devices' own password budgets. */
  findDeviceLockedUntil(userId: string, now: number): Promise<number | null>;
  clearDeviceAttemptCounters(userId: string): Promise<void>;
  deleteIdleDevices(lastUsedBefore: number): Promise<number>;
}

export interface LoginChallengeStore {
  createLoginChallenge(challenge: NewLoginChallenge): Promise<void>;
  findLoginChallenge(idHash: string): Promise<LoginChallenge | null>;
  /** Spends one attempt if the challenge is live and has attempts left; false means void. */
  spendChallengeAttempt(idHash: string, now: number, maxAttempts: number): Promise<boolean>;
  /** Marks the challenge used; exactly one caller gets true. */
  consumeLoginChallenge(idHash: string, now: number): Promise<boolean>;
}

export interface AttemptCounterStore {
  /**
   * Takes one slot under `key` before a secret is checked, so that a parallel burst cannot check
   * more secrets than `limit`. False when the key is locked or failures plus checks in flight
   * fill the window.
   */
  reserveAttempt(key: string, now: number, limit: number, windowMs: number): Promise<boolean>;
  /**
   * Gives a reserved slot back: the secret was right (successes are not throttled) or never
   * checked. `resetFailures` also ends the window's run of failures (as resetAttemptFailures).
   */
  releaseAttempt(key: string, options?: { resetFailures?: boolean }): Promise<void>;
  /** Whether `key` has room for another failure, without reserving (for limits that must not hold slots). */
  isAttemptAllowed(key: string, now: number, limit: number, windowMs: number): Promise<boolean>;
  /** Counts a wrong secret; with `reserved`, it also settles the slot the check held. */
  recordAttemptFailure(key: string, now: number, reserved: boolean): Promise<void>;
  findAttemptCounter(key: string): Promise<AttemptCounter | null>;
  /**
   * Locks `key` until `lock.until` and records `lock.level` as its lock count, only if its
   * failures reached `lock.limit` and nobody locked it since the count was `lock.seen`
   * (compare-and-set: one winner).
   */
  lockAttemptCounter(key: string, now: number, lock: { until: number; seen: number; level: number; limit: number }): Promise<boolean>;
  /**
   * A right secret ends a run of failures (NIST SP 800-63B §5.2.2 counts consecutive ones): the
   * window's failures go back to 0. The lock in force and the lock count (doubling) stay.
   */
  resetAttemptFailures(key: string): Promise<void>;
  clearAttemptCounter(key: string): Promise<void>;
}

export interface EmailCodeStore {
  saveEmailCode(code: EmailCode): Promise<void>;
  findEmailCode(key: string): Promise<EmailCode | null>;
  spendEmailCodeAttempt(key: string, now: number, maxAttempts: number): Promise<boolean>;
  consumeEmailCode(key: string, codeHash: string, now: number): Promise<boolean>;
  deleteEmailCode(key: string): Promise<void>;
}

export interface PasswordTokenStore {
  createPasswordToken(token: PasswordToken): Promise<void>;
  findPasswordToken(tokenHash: string): Promise<PasswordToken | null>;
  /** Marks the token used if it is of `purpose`, live and unused; exactly one caller gets true. */
  consumePasswordToken(tokenHash: string, purpose: PasswordTokenPurpose, now: number): Promise<boolean>;
  deletePasswordTokens(userId: string, purpose?: PasswordTokenPurpose): Promise<void>;
}

export type EnrollmentPurpose = 'policy' | 'admin_recovery';

/** The bearer that lets a user who must set up two-factor do only that (flows/login/enrollment.ts). */
export interface EnrollmentToken {
  id: string;
  tokenHash: string;
  userId: string;
  purpose: EnrollmentPurpose;
  /** The login it continues: the session made at the end belongs to this client. */
  client: ClientKind;
  deviceName: string | null;
  ip: string;
  userAgent: string | null;
  /** Ending the account's sessions (a reset, disabling) voids the token too. */
  accountEpoch: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface EnrollmentTokenStore {
  createEnrollmentToken(token: EnrollmentToken): Promise<void>;
  /** The unexpired, unused token with this hash, only while the account's epoch is the token's. */
  findLiveEnrollmentToken(tokenHash: string, now: number): Promise<{ token: EnrollmentToken; account: Account } | null>;
  /** Marks it used if it is live and unused; exactly one caller gets true. */
  consumeEnrollmentToken(id: string, now: number): Promise<boolean>;
  deleteEnrollmentTokens(userId: string): Promise<void>;
}

export interface AdminRecoveryCode {
  userId: string;
  codeHash: string;
  issuedBy: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface AdminRecoveryCodeStore {
  /** Stores the account's code, replacing any earlier one (used or not). */
  saveAdminRecoveryCode(code: AdminRecoveryCode): Promise<void>;
  findAdminRecoveryCode(userId: string): Promise<AdminRecoveryCode | null>;
  /** Spends the code if it is still `codeHash`, unexpired and unused; exactly one caller gets true. */
  consumeAdminRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  deleteAdminRecoveryCode(userId: string): Promise<void>;
}

/** The administrators' two-factor policy and when it started applying to each account. */
export interface TwoFactorPolicyStore {
  /** The stored policy as JSON text, null when never set (meaning off). */
  getTwoFactorPolicy(): Promise<string | null>;
  putTwoFactorPolicy(value: string): Promise<void>;
  /**
   * Starts the clock for accounts of `roles` on which it is not running yet, and stops it on
   * the others; accounts already covered keep theirs (changing only the grace days or widening
   * the policy restarts nobody's clock).
   */
  setPolicyCoverage(roles: readonly Role[], now: number): Promise<void>;
  /** Starts one account's clock if it is not running (promotion, creation), or stops it. */
  setAccountPolicySince(userId: string, since: number | null, options: { onlyIfUnset: boolean }): Promise<void>;
}

export interface AuditStore {
  appendAuditEvent(event: AuditEvent): Promise<void>;
  listAuditEvents(query: AuditQuery): Promise<AuditEvent[]>;
  /** Deletes events older than `at` (the retention period); returns how many. */
  deleteAuditEventsBefore(at: number): Promise<number>;
}

export interface MetaStore {
  /** Writes only if absent; returns the value now stored (this caller's or an earlier one's). */
  putMetaIfAbsent(key: string, value: string): Promise<string>;
  getMeta(key: string): Promise<string | null>;
  /** Every record whose key starts with `prefix`. */
  listMeta(prefix: string): Promise<Array<{ key: string; value: string }>>;
  putMeta(key: string, value: string): Promise<void>;
  deleteMeta(key: string): Promise<void>;
}

/**
 * Everything the flows need from storage, in domain terms. Every "exactly once" rule is a guarded
 * statement here whose boolean result says whether this caller won; none relies on process memory.
 */
export interface Store
  extends AccountStore,
    AuthenticatorStore,
    WebAuthnStore,
    TwoFactorCredentialStore,
    SessionStore,
    LoginChallengeStore,
    DeviceStore,
    AttemptCounterStore,
    EmailCodeStore,
    PasswordTokenStore,
    EnrollmentTokenStore,
    AdminRecoveryCodeStore,
    TwoFactorPolicyStore,
    AuditStore,
    MetaStore {
  /** Runs `work` in one database transaction; nested calls join the outer one. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** Commits a tiny write (the readiness probe): throws when the database cannot take writes. */
  ping(now: number): Promise<void>;
}
