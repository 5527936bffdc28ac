import { sql, type Kysely, type Selectable } from 'kysely';
import { SESSION_END_REASONS, type Account, type ClientKind, type Session, type SessionEndReason, type SessionSecondFactor } from '../../core/types.ts';
import { decodeAMR, encodeAMR } from '../../core/amr.ts';
import type { AMRValue } from '../../core/types.ts';
import { derivedTwoFactorColumns, toAccount } from './accounts.ts';
import type { Database, SessionsTable } from '../schema.ts';
import type { NewSession, SessionEnding, SessionStore } from '../store.ts';
import { changedRows } from './rows.ts';
import { NO_LOCK_WAIT, isLockBusy } from '../sqlite-lock-wait.ts';

/**
 * Copies the chosen sessions' token hashes into ended_sessions with the reason, kept for one
 * session lifetime (expires_at - created_at: the TTL they were issued with) after `now`.
 * Runs just before those sessions are deleted, in the caller's transaction.
 */
async function rememberEnded(
  db: Kysely<Database>,
  ending: SessionEnding,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  narrow: (query: any) => any,
): Promise<void> {
  const chosen = narrow(
    db
      .selectFrom('sessions')
      .select((eb) => [
        'token_hash',
        'user_id',
        eb.val(ending.reason).as('reason'),
        sql<number>`${ending.now}`.as('ended_at'),
        sql<number>`${ending.now} + (expires_at - created_at)`.as('keep_until'),
      ]),
  );
  await db
    .insertInto('ended_sessions')
    .columns(['token_hash', 'user_id', 'reason', 'ended_at', 'keep_until'])
    .expression(chosen)
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute();
}

const SECOND_FACTORS: readonly string[] = ['totp', 'email', 'webauthn', 'recovery_code', 'trusted_device'];

function readSecondFactor(row: Selectable<SessionsTable>): SessionSecondFactor | null {
  if (row.second_factor !== null && SECOND_FACTORS.includes(row.second_factor)) return row.second_factor as SessionSecondFactor;
  // Made before migration 014: the amr still says whether there was a second step.
  return (decodeAMR(row.amr) ?? []).includes('mfa') ? 'unknown' : null;
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
    amr: decodeAMR(row.amr) ?? [],
    authTime: Number(row.auth_time),
    reauthenticatedAt: row.reauthenticated_at === null ? null : Number(row.reauthenticated_at),
    reauthAmr: decodeAMR(row.reauth_amr),
    accountEpoch: Number(row.account_epoch),
    secondFactor: readSecondFactor(row),
    deviceId: row.device_id,
  };
}

export function sessionQueries(db: Kysely<Database>): SessionStore {
  return {
    async createSession(session: NewSession): Promise<void> {
      await db
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
          amr: encodeAMR(session.amr),
          auth_time: session.authTime,
          reauthenticated_at: null,
          reauth_amr: null,
          account_epoch: session.accountEpoch,
          second_factor: session.secondFactor,
          device_id: session.deviceId,
        })
        .execute();
    },

    async findLiveSession(tokenHash: string, now: number): Promise<{ session: Session; account: Account } | null> {
      // One round trip on the hot path of every authenticated request.
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('sessions')
        .select([
          'users.username as u_username',
          'users.username_key as u_username_key',
          'users.display_name as u_display_name',
          'users.email as u_email',
          'users.email_verified as u_email_verified',
          'users.role as u_role',
          'users.password_hash as u_password_hash',
          'users.two_factor_changed_at as u_two_factor_changed_at',
          'users.session_epoch as u_session_epoch',
          'users.disabled as u_disabled',
          'users.password_change_required as u_password_change_required',
          'users.language as u_language',
          'users.two_factor_policy_since as u_two_factor_policy_since',
          'users.created_at as u_created_at',
          'users.updated_at as u_updated_at',
        ])
        .select(derivedTwoFactorColumns)
        .where('sessions.token_hash', '=', tokenHash)
        .where('sessions.expires_at', '>', now)
        .whereRef('sessions.account_epoch', '=', 'users.session_epoch')
        // Disabling ends the sessions too; this holds even for one a racing login inserted.
        .where('users.disabled', '=', 0)
        .executeTakeFirst();
      if (!row) return null;
      const account = toAccount({
        id: row.user_id,
        username: row.u_username,
        username_key: row.u_username_key,
        display_name: row.u_display_name,
        email: row.u_email,
        email_verified: row.u_email_verified,
        role: row.u_role,
        password_hash: row.u_password_hash,
        two_factor_method: row.two_factor_method,
        authenticator_count: row.authenticator_count,
        two_factor_changed_at: row.u_two_factor_changed_at,
        session_epoch: row.u_session_epoch,
        disabled: row.u_disabled,
        password_change_required: row.u_password_change_required,
        language: row.u_language,
        two_factor_policy_since: row.u_two_factor_policy_since,
        created_at: row.u_created_at,
        updated_at: row.u_updated_at,
      });
      return { session: toSession(row), account };
    },

    async touchSession(sessionId: string, now: number): Promise<void> {
      // Last-seen is a courtesy: while another process holds the database's write lock, a
      // request must not wait for it (nor fail), so the update is skipped and done next time.
      try {
        await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', sessionId).modifyEnd(NO_LOCK_WAIT).execute();
      } catch (error) {
        if (!isLockBusy(error)) throw error;
      }
    },

    async markSessionReauthenticated(sessionId: string, now: number, amr: readonly AMRValue[]): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ reauthenticated_at: now, reauth_amr: encodeAMR(amr) })
        .where('id', '=', sessionId)
        .execute();
    },

    async listSessions(userId: string, now: number): Promise<Session[]> {
      // Only sessions of the account's current epoch are alive; older rows await cleanup.
      const rows = await db
        .selectFrom('sessions')
        .selectAll('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .where('sessions.user_id', '=', userId)
        .where('sessions.expires_at', '>', now)
        .whereRef('sessions.account_epoch', '=', 'users.session_epoch')
        .orderBy('sessions.created_at', 'desc')
        .execute();
      return rows.map(toSession);
    },

    async deleteSession(sessionId: string, userId: string, ending: SessionEnding): Promise<boolean> {
      await rememberEnded(db, ending, (q) => q.where('id', '=', sessionId).where('user_id', '=', userId));
      const result = await db
        .deleteFrom('sessions')
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async endSessionsOfAccount(userId: string, ending: SessionEnding, keepSessionId?: string): Promise<{ ended: number; kept: boolean }> {
      const { now } = ending;
      // Callers run this inside their transaction: the steps stand or fall together. The update
      // also takes the account row's lock (PostgreSQL), so two such changes queue up.
      const bumped = await db
        .updateTable('users')
        .set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) }))
        .where('id', '=', userId)
        .returning('session_epoch')
        .executeTakeFirst();
      const epoch = Number(bumped?.session_epoch ?? 0);
      let kept = false;
      if (keepSessionId !== undefined && bumped !== undefined) {
        // Carried over only if it belonged to the epoch just ended: a session that was already
        // stale (inserted by a login that raced an earlier change) must not be revived.
        const carried = await db
          .updateTable('sessions')
          .set({ account_epoch: epoch })
          .where('id', '=', keepSessionId)
          .where('user_id', '=', userId)
          .where('account_epoch', '=', epoch - 1)
          .executeTakeFirst();
        kept = changedRows(carried) === 1;
      }
      await db
        .updateTable('login_challenges')
        .set({ consumed_at: now })
        .where('user_id', '=', userId)
        .where('consumed_at', 'is', null)
        .execute();
      await rememberEnded(db, ending, (q) => {
        const mine = q.where('user_id', '=', userId);
        return kept && keepSessionId !== undefined ? mine.where('id', '!=', keepSessionId) : mine;
      });
      let query = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (kept && keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
      return { ended: changedRows(await query.executeTakeFirst()), kept };
    },

    async findSessionEnd(tokenHash: string, now: number): Promise<SessionEndReason | null> {
      const ended = await db
        .selectFrom('ended_sessions')
        .select('reason')
        .where('token_hash', '=', tokenHash)
        .where('keep_until', '>', now)
        .executeTakeFirst();
      if (ended !== undefined) return (SESSION_END_REASONS as readonly string[]).includes(ended.reason) ? (ended.reason as SessionEndReason) : null;
      const expired = await db.selectFrom('sessions').select('id').where('token_hash', '=', tokenHash).where('expires_at', '<=', now).executeTakeFirst();
      return expired === undefined ? null : 'expired';
    },

    async deleteExpired(now: number): Promise<void> {
      await db.deleteFrom('ended_sessions').where('keep_until', '<=', now).execute();
      // Same `now` in both statements: the set of expired sessions cannot change in between.
      await rememberEnded(db, { reason: 'expired', now }, (q) => q.where('expires_at', '<=', now));
      await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
      await db.deleteFrom('login_challenges').where('expires_at', '<=', now).execute();
      await db.deleteFrom('pending_totp_secrets').where('expires_at', '<=', now).execute();
      await db.deleteFrom('email_codes').where('expires_at', '<=', now).execute();
      await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
      await db.deleteFrom('password_tokens').where('expires_at', '<=', now).execute();
      await db.deleteFrom('enrollment_tokens').where('expires_at', '<=', now).execute();
      await db.deleteFrom('admin_recovery_codes').where('expires_at', '<=', now).execute();
      // Counters idle for a day carry nothing worth keeping (lock doubling resets after a day).
      const idleSince = now - 24 * 60 * 60_000;
      await db
        .deleteFrom('attempt_counters')
        .where('window_started_at', '<', idleSince)
        .where('locked_until', '<', idleSince)
        .where('pending_at', '<', idleSince)
        .execute();
    },

    async rememberDevice(userId: string, fingerprint: string, now: number): Promise<boolean> {
      const result = await db
        .insertInto('known_devices')
        .values({ user_id: userId, fingerprint, first_seen_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'fingerprint']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async countKnownDevices(userId: string): Promise<number> {
      const row = await db
        .selectFrom('known_devices')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}
