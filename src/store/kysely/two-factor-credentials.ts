import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { PendingTOTPSecret, TwoFactorCredentialStore } from '../store.ts';
import { changedRows } from './rows.ts';

export function twoFactorCredentialQueries(db: Kysely<Database>): TwoFactorCredentialStore {
  return {
    async savePendingTOTPSecret(userId: string, pending: PendingTOTPSecret, now: number, expiresAt: number): Promise<void> {
      const values = { sealed_secret: pending.sealedSecret, name: pending.name, created_at: now, expires_at: expiresAt };
      await db
        .insertInto('pending_totp_secrets')
        .values({ user_id: userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .execute();
    },

    async findPendingTOTPSecret(userId: string, now: number): Promise<PendingTOTPSecret | null> {
      const row = await db
        .selectFrom('pending_totp_secrets')
        .select(['sealed_secret', 'name'])
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row ? { sealedSecret: row.sealed_secret, name: row.name } : null;
    },

    async takePendingTOTPSecret(userId: string, sealedSecret: string): Promise<boolean> {
      const result = await db
        .deleteFrom('pending_totp_secrets')
        .where('user_id', '=', userId)
        .where('sealed_secret', '=', sealedSecret)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deletePendingTOTPSecret(userId: string): Promise<void> {
      await db.deleteFrom('pending_totp_secrets').where('user_id', '=', userId).execute();
    },

    async replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codeHashes.length === 0) return;
      await db
        .insertInto('recovery_codes')
        .values(codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash, used_at: null, created_at: now })))
        .execute();
    },

    async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async countUnusedRecoveryCodes(userId: string): Promise<number> {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async deleteRecoveryCodes(userId: string): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    },
  };
}
