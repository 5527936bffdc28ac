import type {
  Account,
  AMRValue,
  AuditEvent,
  Authenticator,
  AuthenticatorType,
  LoginChallenge,
  Role,
  Session,
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
}

/** A session as created: a login's origin and times, plus the token's hash (never the token). */
export type NewSession = Omit<Session, 'lastSeenAt' | 'reauthenticatedAt' | 'reauthAmr'> & { tokenHash: string };

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
}

export interface AccountStore {
  /** Returns false when the username is taken (unique index), leaving nothing written. */
  createAccount(account: NewAccount): Promise<boolean>;
  findAccountById(id: string): Promise<Account | null>;
  findAccountByUsernameKey(usernameKey: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  countAccounts(): Promise<number>;
  updatePasswordHash(userId: string, passwordHash: string, now: number): Promise<void>;
  /** Records that two-factor changed now: Password-window proofs from before it stop counting. */
  markTwoFactorChanged(userId: string, now: number): Promise<void>;
  setEmail(userId: string, email: string | null, verified: boolean, now: number): Promise<void>;
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
  deleteSession(sessionId: string, userId: string): Promise<boolean>;
  /**
   * Ends every session of the account but `keepSessionId`, and voids its open login challenges.
   * The account's session epoch moves on first, and only sessions of the current epoch
   * authenticate, so a session that a login racing this change inserts a moment later is dead
   * on arrival. `kept` is false when the session to keep was itself already stale: the caller
   * must then refuse the change (it came from a session that should no longer exist).
   */
  endSessionsOfAccount(userId: string, now: number, keepSessionId?: string): Promise<{ ended: number; kept: boolean }>;
  /** Removes expired sessions, challenges, pending secrets, codes and idle attempt counters. */
  deleteExpired(now: number): Promise<void>;

  /** Remembers a device; returns whether it was new. The primary key makes this exactly-once. */
  rememberDevice(userId: string, fingerprint: string, now: number): Promise<boolean>;
  countKnownDevices(userId: string): Promise<number>;
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
  /** Gives a reserved slot back: the secret was right (successes are not throttled) or never checked. */
  releaseAttempt(key: string): Promise<void>;
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

export interface AuditStore {
  appendAuditEvent(event: AuditEvent): Promise<void>;
  listAuditEvents(query: AuditQuery): Promise<AuditEvent[]>;
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
    TwoFactorCredentialStore,
    SessionStore,
    LoginChallengeStore,
    AttemptCounterStore,
    EmailCodeStore,
    AuditStore,
    MetaStore {
  /** Runs `work` in one database transaction; nested calls join the outer one. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}
