import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { EmailCode, EmailCodeStore } from '../store.ts';
import { changedRows } from './rows.ts';

export function emailCodeQueries(db: Kysely<Database>): EmailCodeStore {
  return {
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
      await db
        .insertInto('email_codes')
        .values(values)
        .onConflict((oc) => oc.column('key').doUpdateSet(update))
        .execute();
    },

    async findEmailCode(key: string): Promise<EmailCode | null> {
      const row = await db.selectFrom('email_codes').selectAll().where('key', '=', key).executeTakeFirst();
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
    },

    async spendEmailCodeAttempt(key: string, now: number, maxAttempts: number): Promise<boolean> {
      const result = await db
        .updateTable('email_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('key', '=', key)
        .where('attempts', '<', maxAttempts)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async consumeEmailCode(key: string, codeHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('email_codes')
        .set({ consumed_at: now })
        .where('key', '=', key)
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deleteEmailCode(key: string): Promise<void> {
      await db.deleteFrom('email_codes').where('key', '=', key).execute();
    },
  };
}
