import type { Kysely } from 'kysely';
import type { ClientKind, LoginChallenge } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { LoginChallengeStore, NewLoginChallenge } from '../store.ts';
import { changedRows } from './rows.ts';

export function loginChallengeQueries(db: Kysely<Database>): LoginChallengeStore {
  return {
    async createLoginChallenge(challenge: NewLoginChallenge): Promise<void> {
      await db
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
          account_epoch: challenge.accountEpoch,
          device_id: challenge.deviceId ?? null,
        })
        .execute();
    },

    async findLoginChallenge(idHash: string): Promise<LoginChallenge | null> {
      const row = await db.selectFrom('login_challenges').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
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
        accountEpoch: Number(row.account_epoch),
        deviceId: row.device_id,
      };
    },

    async spendChallengeAttempt(idHash: string, now: number, maxAttempts: number): Promise<boolean> {
      const result = await db
        .updateTable('login_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id_hash', '=', idHash)
        .where('attempts', '<', maxAttempts)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async consumeLoginChallenge(idHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('login_challenges')
        .set({ consumed_at: now })
        .where('id_hash', '=', idHash)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },
  };
}
