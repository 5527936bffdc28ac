import type {
  Account,
  AuditEvent,
  LoginChallenge,
  Role,
  SecondFactorMethod,
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
export type NewSession = Omit<Session, 'lastSeenAt' | 'reauthenticatedAt' | 'reauthenticatedWithSecondFactor'> & { tokenHash: string };

/** A login challenge as created; its id is stored only as a hash. */
export type NewLoginChallenge = Omit<LoginChallenge, 'id' | 'attempts' | 'consumedAt'> & { idHash: string };

export interface TOTPCredential {
  sealedSecret: string;
  lastUsedStep: number;
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
  setTwoFactorMethod(userId: string, method: SecondFactorMethod | null, now: number): Promise<void>;
  setEmail(userId: string, email: string | null, verified: boolean, now: number): Promise<void>;
}

export interface TwoFactorCredentialStore {
  savePendingTOTPSecret(userId: string, sealedSecret: string, now: number, expiresAt: number): Promise<void>;
  findPendingTOTPSecret(userId: string, now: number): Promise<string | null>;
  /** Deletes the pending secret only if it is still `sealedSecret`; false when another request got there first. */
  takePendingTOTPSecret(userId: string, sealedSecret: string): Promise<boolean>;
  saveTOTPCredential(userId: string, sealedSecret: string, lastUsedStep: number, now: number): Promise<void>;
  findTOTPCredential(userId: string): Promise<TOTPCredential | null>;
  /** Records `step` as used only if it is newer than every step used before (replay guard). */
  advanceTOTPStep(userId: string, step: number): Promise<boolean>;
  /** Removes the confirmed credential and any pending secret. */
  deleteTOTPSecrets(userId: string): Promise<void>;

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
  markSessionReauthenticated(sessionId: string, now: number, withSecondFactor: boolean): Promise<void>;
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
}

/**
 * Everything the flows need from storage, in domain terms. Every "exactly once" rule is a guarded
 * statement here whose boolean result says whether this caller won; none relies on process memory.
 */
export interface Store
  extends AccountStore,
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
