import { sql, type Kysely, type Selectable } from 'kysely';
import type { Account, AuditEvent, ClientKind, LoginChallenge, Role, SecondFactorMethod, Session } from '../core/types.ts';
import type { Database, SessionsTable, UsersTable } from './schema.ts';
import type {
  AttemptCounter,
  AuditQuery,
  EmailCode,
  NewAccount,
  NewLoginChallenge,
  NewSession,
  Store,
  TOTPCredential,
} from './store.ts';

function toAccount(row: Selectable<UsersTable>): Account {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    role: row.role as Role,
    passwordHash: row.password_hash,
    twoFactorMethod: row.two_factor_method as SecondFactorMethod | null,
    twoFactorChangedAt: row.two_factor_changed_at === null ? null : Number(row.two_factor_changed_at),
    createdAt: Number(row.created_at),
  };
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    client: row.client as ClientKind,
    deviceName: row.device_name,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    reauthenticatedAt: row.reauthenticated_at === null ? null : Number(row.reauthenticated_at),
    reauthenticatedWithSecondFactor: row.reauth_second_factor === 1,
  };
}

function changed(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number {
  return Number(result?.numUpdatedRows ?? result?.numDeletedRows ?? 0n);
}

/** The one implementation of Store, over Kysely; the dialect is chosen in database.ts. */
export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #inTransaction: boolean;

  constructor(db: Kysely<Database>, inTransaction = false) {
    this.#db = db;
    this.#inTransaction = inTransaction;
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return work(this);
    return this.#db.transaction().execute((trx) => work(new KyselyStore(trx, true)));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  // Accounts

  async createAccount(account: NewAccount): Promise<boolean> {
    const result = await this.#db
      .insertInto('users')
      .values({
        id: account.id,
        username: account.username,
        username_key: account.usernameKey,
        display_name: account.displayName,
        email: account.email,
        email_verified: account.emailVerified ? 1 : 0,
        role: account.role,
        password_hash: account.passwordHash,
        two_factor_method: null,
        two_factor_changed_at: null,
        created_at: account.createdAt,
        updated_at: account.createdAt,
      })
      .onConflict((oc) => oc.column('username_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async findAccountById(id: string): Promise<Account | null> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async findAccountByUsernameKey(usernameKey: string): Promise<Account | null> {
    const row = await this.#db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('username_key').execute();
    return rows.map(toAccount);
  }

  async countAccounts(): Promise<number> {
    const row = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async updatePasswordHash(userId: string, passwordHash: string, now: number): Promise<void> {
    await this.#db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
  }

  async setTwoFactorMethod(userId: string, method: SecondFactorMethod | null, now: number): Promise<void> {
    await this.#db
      .updateTable('users')
      .set({ two_factor_method: method, two_factor_changed_at: now, updated_at: now })
      .where('id', '=', userId)
      .execute();
  }

  async setEmail(userId: string, email: string | null, verified: boolean, now: number): Promise<void> {
    await this.#db
      .updateTable('users')
      .set({ email, email_verified: verified ? 1 : 0, updated_at: now })
      .where('id', '=', userId)
      .execute();
  }

  // TOTP

  async savePendingTOTPSecret(userId: string, sealedSecret: string, now: number, expiresAt: number): Promise<void> {
    await this.#db
      .insertInto('pending_totp_secrets')
      .values({ user_id: userId, sealed_secret: sealedSecret, created_at: now, expires_at: expiresAt })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ sealed_secret: sealedSecret, created_at: now, expires_at: expiresAt }),
      )
      .execute();
  }

  async findPendingTOTPSecret(userId: string, now: number): Promise<string | null> {
    const row = await this.#db
      .selectFrom('pending_totp_secrets')
      .select('sealed_secret')
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.sealed_secret ?? null;
  }

  async takePendingTOTPSecret(userId: string, sealedSecret: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('pending_totp_secrets')
      .where('user_id', '=', userId)
      .where('sealed_secret', '=', sealedSecret)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async saveTOTPCredential(userId: string, sealedSecret: string, lastUsedStep: number, now: number): Promise<void> {
    await this.#db
      .insertInto('totp_credentials')
      .values({ user_id: userId, sealed_secret: sealedSecret, last_used_step: lastUsedStep, created_at: now })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ sealed_secret: sealedSecret, last_used_step: lastUsedStep, created_at: now }),
      )
      .execute();
  }

  async findTOTPCredential(userId: string): Promise<TOTPCredential | null> {
    const row = await this.#db
      .selectFrom('totp_credentials')
      .select(['sealed_secret', 'last_used_step'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? { sealedSecret: row.sealed_secret, lastUsedStep: Number(row.last_used_step) } : null;
  }

  async advanceTOTPStep(userId: string, step: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('totp_credentials')
      .set({ last_used_step: step })
      .where('user_id', '=', userId)
      .where('last_used_step', '<', step)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async deleteTOTPCredential(userId: string): Promise<void> {
    await this.#db.deleteFrom('totp_credentials').where('user_id', '=', userId).execute();
    await this.#db.deleteFrom('pending_totp_secrets').where('user_id', '=', userId).execute();
  }

  // Recovery codes

  async replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void> {
    await this.#db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (codeHashes.length === 0) return;
    await this.#db
      .insertInto('recovery_codes')
      .values(codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash, used_at: null, created_at: now })))
      .execute();
  }

  async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async deleteRecoveryCodes(userId: string): Promise<void> {
    await this.#db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  }

  // Sessions

  async createSession(session: NewSession): Promise<void> {
    await this.#db
      .insertInto('sessions')
      .values({
        id: session.id,
        token_hash: session.tokenHash,
        user_id: session.userId,
        client: session.client,
        device_name: session.deviceName,
        ip: session.ip,
        user_agent: session.userAgent,
        created_at: session.createdAt,
        last_seen_at: session.createdAt,
        expires_at: session.expiresAt,
        reauthenticated_at: null,
        reauth_second_factor: 0,
      })
      .execute();
  }

  async findSessionByTokenHash(tokenHash: string, now: number): Promise<Session | null> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async touchSession(sessionId: string, now: number): Promise<void> {
    await this.#db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', sessionId).execute();
  }

  async markSessionReauthenticated(sessionId: string, now: number, withSecondFactor: boolean): Promise<void> {
    await this.#db
      .updateTable('sessions')
      .set({ reauthenticated_at: now, reauth_second_factor: withSecondFactor ? 1 : 0 })
      .where('id', '=', sessionId)
      .execute();
  }

  async listSessions(userId: string, now: number): Promise<Session[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toSession);
  }

  async deleteSession(sessionId: string, userId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('sessions')
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async deleteSessionsOfAccount(userId: string, keepSessionId?: string): Promise<number> {
    let query = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
    return changed(await query.executeTakeFirst());
  }

  async deleteExpired(now: number): Promise<void> {
    await this.#db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('login_challenges').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('pending_totp_secrets').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('email_codes').where('expires_at', '<=', now).execute();
  }

  async rememberDevice(userId: string, fingerprint: string, now: number): Promise<boolean> {
    const result = await this.#db
      .insertInto('known_devices')
      .values({ user_id: userId, fingerprint, first_seen_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'fingerprint']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async countKnownDevices(userId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('known_devices')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  // Login challenges

  async createLoginChallenge(challenge: NewLoginChallenge): Promise<void> {
    await this.#db
      .insertInto('login_challenges')
      .values({
        id_hash: challenge.idHash,
        user_id: challenge.userId,
        client: challenge.client,
        device_name: challenge.deviceName,
        ip: challenge.ip,
        user_agent: challenge.userAgent,
        created_at: challenge.createdAt,
        expires_at: challenge.expiresAt,
        attempts: 0,
        consumed_at: null,
      })
      .execute();
  }

  async findLoginChallenge(idHash: string): Promise<LoginChallenge | null> {
    const row = await this.#db.selectFrom('login_challenges').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id_hash,
      userId: row.user_id,
      client: row.client as ClientKind,
      deviceName: row.device_name,
      ip: row.ip,
      userAgent: row.user_agent,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      attempts: row.attempts,
      consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
    };
  }

  async spendChallengeAttempt(idHash: string, now: number, maxAttempts: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('login_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id_hash', '=', idHash)
      .where('attempts', '<', maxAttempts)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async consumeLoginChallenge(idHash: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('login_challenges')
      .set({ consumed_at: now })
      .where('id_hash', '=', idHash)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async voidLoginChallengesOfAccount(userId: string, now: number): Promise<void> {
    await this.#db
      .updateTable('login_challenges')
      .set({ consumed_at: now })
      .where('user_id', '=', userId)
      .where('consumed_at', 'is', null)
      .execute();
  }

  // Brute-force counters

  async reserveAttempt(key: string, now: number, limit: number, windowMs: number): Promise<boolean> {
    await this.#db
      .insertInto('attempt_counters')
      .values({ key, window_started_at: now, failures: 0, locked_until: 0, lockouts: 0 })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    // A window that has run out starts afresh; the guard on window_started_at makes concurrent
    // restarts collapse into one, so no reservation made after the restart is wiped.
    await this.#db
      .updateTable('attempt_counters')
      .set({ window_started_at: now, failures: 0 })
      .where('key', '=', key)
      .where('window_started_at', '<=', now - windowMs)
      .where('locked_until', '<=', now)
      .execute();
    const result = await this.#db
      .updateTable('attempt_counters')
      .set((eb) => ({ failures: eb('failures', '+', 1) }))
      .where('key', '=', key)
      .where('failures', '<', limit)
      .where('locked_until', '<=', now)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async releaseAttempt(key: string): Promise<void> {
    await this.#db
      .updateTable('attempt_counters')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  async findAttemptCounter(key: string): Promise<AttemptCounter | null> {
    const row = await this.#db.selectFrom('attempt_counters').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return null;
    return {
      failures: row.failures,
      windowStartedAt: Number(row.window_started_at),
      lockedUntil: Number(row.locked_until),
      lockouts: row.lockouts,
    };
  }

  async lockAttemptCounter(
    key: string,
    now: number,
    lock: { until: number; seen: number; level: number; limit: number },
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('attempt_counters')
      .set({ locked_until: lock.until, lockouts: lock.level, failures: 0, window_started_at: now })
      .where('key', '=', key)
      .where('failures', '>=', lock.limit)
      .where('locked_until', '<=', now)
      .where('lockouts', '=', lock.seen)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async clearAttemptCounter(key: string): Promise<void> {
    await this.#db.deleteFrom('attempt_counters').where('key', '=', key).execute();
  }

  // Email codes

  async saveEmailCode(code: EmailCode): Promise<void> {
    const values = {
      key: code.key,
      user_id: code.userId,
      purpose: code.purpose,
      code_hash: code.codeHash,
      address: code.address,
      created_at: code.createdAt,
      expires_at: code.expiresAt,
      attempts: code.attempts,
      consumed_at: code.consumedAt,
    };
    const { key: _key, ...update } = values;
    await this.#db
      .insertInto('email_codes')
      .values(values)
      .onConflict((oc) => oc.column('key').doUpdateSet(update))
      .execute();
  }

  async findEmailCode(key: string): Promise<EmailCode | null> {
    const row = await this.#db.selectFrom('email_codes').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return null;
    return {
      key: row.key,
      userId: row.user_id,
      purpose: row.purpose,
      codeHash: row.code_hash,
      address: row.address,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      attempts: row.attempts,
      consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
    };
  }

  async spendEmailCodeAttempt(key: string, now: number, maxAttempts: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('email_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('key', '=', key)
      .where('attempts', '<', maxAttempts)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async consumeEmailCode(key: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('email_codes')
      .set({ consumed_at: now })
      .where('key', '=', key)
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return changed(result) === 1;
  }

  async deleteEmailCode(key: string): Promise<void> {
    await this.#db.deleteFrom('email_codes').where('key', '=', key).execute();
  }

  // Audit

  async appendAuditEvent(event: AuditEvent): Promise<void> {
    await this.#db
      .insertInto('audit_events')
      .values({
        id: event.id,
        at: event.at,
        type: event.type,
        outcome: event.outcome,
        user_id: event.userId,
        username: event.username,
        actor: event.actor,
        client: event.client,
        ip: event.ip,
        detail: event.detail === null ? null : JSON.stringify(event.detail),
      })
      .execute();
  }

  async listAuditEvents(query: AuditQuery): Promise<AuditEvent[]> {
    let select = this.#db.selectFrom('audit_events').selectAll();
    if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
    const before = query.before;
    if (before !== undefined) {
      select = select.where((eb) =>
        eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
      );
    }
    const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      at: Number(row.at),
      type: row.type as AuditEvent['type'],
      outcome: row.outcome as AuditEvent['outcome'],
      userId: row.user_id,
      username: row.username,
      actor: row.actor,
      client: row.client as ClientKind | null,
      ip: row.ip,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditEvent['detail']),
    }));
  }

  // Service metadata

  async getMeta(key: string): Promise<string | null> {
    const row = await this.#db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value ?? null;
  }

  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    await this.#db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    const stored = await this.getMeta(key);
    if (stored === null) throw new Error(`meta ${key} vanished after insert`);
    return stored;
  }
}
