import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { AdminRecoveryCode, AdminRecoveryCodeStore } from '../store.ts';
import { changedRows } from './rows.ts';

export function adminRecoveryCodeQueries(db: Kysely<Database>): AdminRecoveryCodeStore {
  return {
    async saveAdminRecoveryCode(code: AdminRecoveryCode): Promise<void> {
      const values = {
        code_hash: code.codeHash,
        issued_by: code.issuedBy,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        consumed_at: null,
      };
      // The primary key on user_id: one live code per account, a new one replaces the old.
      await db
        .insertInto('admin_recovery_codes')
        .values({ user_id: code.userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .execute();
    },

    async findAdminRecoveryCode(userId: string): Promise<AdminRecoveryCode | null> {
      const row = await db.selectFrom('admin_recovery_codes').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        codeHash: row.code_hash,
        issuedBy: row.issued_by,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
        consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
      };
    },

    async consumeAdminRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('admin_recovery_codes')
        .set({ consumed_at: now })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deleteAdminRecoveryCode(userId: string): Promise<void> {
      await db.deleteFrom('admin_recovery_codes').where('user_id', '=', userId).execute();
    },
  };
}
