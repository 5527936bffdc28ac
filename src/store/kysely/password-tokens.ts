import type { Kysely } from 'kysely';
import type { ClientKind } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { PasswordToken, PasswordTokenPurpose, PasswordTokenStore } from '../store.ts';
import { changedRows } from './rows.ts';

export function passwordTokenQueries(db: Kysely<Database>): PasswordTokenStore {
  return {
    async createPasswordToken(token: PasswordToken): Promise<void> {
      await db
        .insertInto('password_tokens')
        .values({
          token_hash: token.tokenHash,
          user_id: token.userId,
          purpose: token.purpose,
          client: token.client,
          device_name: token.deviceName,
          ip: token.ip,
          user_agent: token.userAgent,
          account_epoch: token.accountEpoch,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          consumed_at: null,
        })
        .execute();
    },

    async findPasswordToken(tokenHash: string): Promise<PasswordToken | null> {
      const row = await db.selectFrom('password_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!row) return null;
      return {
        tokenHash: row.token_hash,
        userId: row.user_id,
        purpose: row.purpose as PasswordTokenPurpose,
        client: row.client as ClientKind | null,
        deviceName: row.device_name,
        ip: row.ip,
        userAgent: row.user_agent,
        accountEpoch: Number(row.account_epoch),
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
        consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
      };
    },

    async consumePasswordToken(tokenHash: string, purpose: PasswordTokenPurpose, now: number): Promise<boolean> {
      const result = await db
        .updateTable('password_tokens')
        .set({ consumed_at: now })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deletePasswordTokens(userId: string, purpose?: PasswordTokenPurpose): Promise<void> {
      let query = db.deleteFrom('password_tokens').where('user_id', '=', userId);
      if (purpose !== undefined) query = query.where('purpose', '=', purpose);
      await query.execute();
    },
  };
}
