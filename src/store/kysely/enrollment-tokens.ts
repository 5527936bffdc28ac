import type { Kysely } from 'kysely';
import type { Account, ClientKind } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { EnrollmentPurpose, EnrollmentToken, EnrollmentTokenStore } from '../store.ts';
import { derivedTwoFactorColumns, toAccount } from './accounts.ts';
import { changedRows } from './rows.ts';

export function enrollmentTokenQueries(db: Kysely<Database>): EnrollmentTokenStore {
  return {
    async createEnrollmentToken(token: EnrollmentToken): Promise<void> {
      await db
        .insertInto('enrollment_tokens')
        .values({
          id: token.id,
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

    async findLiveEnrollmentToken(tokenHash: string, now: number): Promise<{ token: EnrollmentToken; account: Account } | null> {
      const row = await db.selectFrom('enrollment_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!row || row.consumed_at !== null || Number(row.expires_at) <= now) return null;
      const user = await db.selectFrom('users').selectAll('users').select(derivedTwoFactorColumns).where('users.id', '=', row.user_id).executeTakeFirst();
      if (!user) return null;
      const account = toAccount(user);
      // Ended sessions (a reset, disabling, a password change) void the token as well.
      if (account.disabled || account.sessionEpoch !== Number(row.account_epoch)) return null;
      return {
        account,
        token: {
          id: row.id,
          tokenHash: row.token_hash,
          userId: row.user_id,
          purpose: row.purpose as EnrollmentPurpose,
          client: row.client as ClientKind,
          deviceName: row.device_name,
          ip: row.ip,
          userAgent: row.user_agent,
          accountEpoch: Number(row.account_epoch),
          createdAt: Number(row.created_at),
          expiresAt: Number(row.expires_at),
          consumedAt: null,
        },
      };
    },

    async consumeEnrollmentToken(id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('enrollment_tokens')
        .set({ consumed_at: now })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deleteEnrollmentTokens(userId: string): Promise<void> {
      await db.deleteFrom('enrollment_tokens').where('user_id', '=', userId).execute();
    },
  };
}
