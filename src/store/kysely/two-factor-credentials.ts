import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { TOTPCredential, TwoFactorCredentialStore } from '../store.ts';
import { changedRows } from './rows.ts';

export function twoFactorCredentialQueries(db: Kysely<Database>): TwoFactorCredentialStore {
  return {
    async savePendingTOTPSecret(userId: string, sealedSecret: string, now: number, expiresAt: number): Promise<void> {
      await db
        .insertInto('pending_totp_secrets')
        .values({ user_id: userId, sealed_secret: sealedSecret, created_at: now, expires_at: expiresAt })
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ sealed_secret: sealedSecret, created_at: now, expires_at: expiresAt }),
        )
        .execute();
    },

    async findPendingTOTPSecret(userId: string, now: number): Promise<string | null> {
      const row = await db
        .selectFrom('pending_totp_secrets')
        .select('sealed_secret')
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row?.sealed_secret ?? null;
    },

    async takePendingTOTPSecret(userId: string, sealedSecret: string): Promise<boolean> {
      const result = await db
        .deleteFrom('pending_totp_secrets')
        .where('user_id', '=', userId)
        .where('sealed_secret', '=', sealedSecret)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async saveTOTPCredential(userId: string, sealedSecret: string, lastUsedStep: number, now: number): Promise<void> {
      await db
        .insertInto('totp_credentials')
        .values({ user_id: userId, sealed_secret: sealedSecret, last_used_step: lastUsedStep, created_at: now })
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ sealed_secret: sealedSecret, last_used_step: lastUsedStep, created_at: now }),
        )
        .execute();
    },

    async findTOTPCredential(userId: string): Promise<TOTPCredential | null> {
      const row = await db
        .selectFrom('totp_credentials')
        .select(['sealed_secret', 'last_used_step'])
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row ? { sealedSecret: row.sealed_secret, lastUsedStep: Number(row.last_used_step) } : null;
    },

    async advanceTOTPStep(userId: string, step: number): Promise<boolean> {
      const result = await db
        .updateTable('totp_credentials')
        .set({ last_used_step: step })
        .where('user_id', '=', userId)
        .where('last_used_step', '<', step)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async deleteTOTPSecrets(userId: string): Promise<void> {
      await db.deleteFrom('totp_credentials').where('user_id', '=', userId).execute();
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
