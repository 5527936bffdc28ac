import type { Kysely, Selectable } from 'kysely';
import type { ClientKind, Session } from '../../core/types.ts';
import type { Database, SessionsTable } from '../schema.ts';
import type { NewSession, SessionStore } from '../store.ts';
import { changedRows } from './rows.ts';

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
    accountEpoch: Number(row.account_epoch),
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
          reauthenticated_at: null,
          reauth_second_factor: 0,
          account_epoch: session.accountEpoch,
        })
        .execute();
    },

    async findSessionByTokenHash(tokenHash: string, now: number): Promise<Session | null> {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row ? toSession(row) : null;
    },

    async touchSession(sessionId: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', sessionId).execute();
    },

    async markSessionReauthenticated(sessionId: string, now: number, withSecondFactor: boolean): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ reauthenticated_at: now, reauth_second_factor: withSecondFactor ? 1 : 0 })
        .where('id', '=', sessionId)
        .execute();
    },

    async listSessions(userId: string, now: number): Promise<Session[]> {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(toSession);
    },

    async deleteSession(sessionId: string, userId: string): Promise<boolean> {
      const result = await db
        .deleteFrom('sessions')
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async endSessionsOfAccount(userId: string, keepSessionId?: string): Promise<number> {
      // Callers run this inside their transaction: the three steps stand or fall together.
      await db
        .updateTable('users')
        .set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) }))
        .where('id', '=', userId)
        .execute();
      if (keepSessionId !== undefined) {
        await db
          .updateTable('sessions')
          .set((eb) => ({ account_epoch: eb.selectFrom('users').select('session_epoch').where('id', '=', userId) }))
          .where('id', '=', keepSessionId)
          .where('user_id', '=', userId)
          .execute();
      }
      let query = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
      return changedRows(await query.executeTakeFirst());
    },

    async deleteExpired(now: number): Promise<void> {
      await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
      await db.deleteFrom('login_challenges').where('expires_at', '<=', now).execute();
      await db.deleteFrom('pending_totp_secrets').where('expires_at', '<=', now).execute();
      await db.deleteFrom('email_codes').where('expires_at', '<=', now).execute();
      // Counters idle for a day carry nothing worth keeping (lock doubling resets after a day).
      const idleSince = now - 24 * 60 * 60_000;
      await db
        .deleteFrom('attempt_counters')
        .where('window_started_at', '<', idleSince)
        .where('locked_until', '<', idleSince)
        .where('pending', '=', 0)
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
