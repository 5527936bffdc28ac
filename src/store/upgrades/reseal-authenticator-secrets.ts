import type { Kysely } from 'kysely';
import { authenticatorAssociatedData, legacyTOTPAssociatedData } from '../../core/associated-data.ts';
import type { SecretBox } from '../../ports.ts';
import type { Database } from '../schema.ts';
import { changedRows } from '../kysely/rows.ts';

/**
 * The one-off step after migration 005: TOTP secrets moved from totp_credentials are still
 * sealed to their account (`totp:<user id>`); each is opened and sealed again to its
 * authenticator's id. SQL alone cannot do this (it needs the master key), so it runs right after
 * the migrations, under the same lock. Idempotent: a row is done once its legacy value is gone,
 * and each update is guarded on that value, so two runs (or two instances) never do a row twice.
 * Returns how many rows this run re-sealed.
 */
export async function resealAuthenticatorSecrets(db: Kysely<Database>, secretBox: SecretBox): Promise<number> {
  const rows = await db
    .selectFrom('authenticators')
    .select(['id', 'user_id', 'legacy_sealed_secret'])
    .where('legacy_sealed_secret', 'is not', null)
    .execute();
  let done = 0;
  for (const row of rows) {
    const legacy = row.legacy_sealed_secret!;
    const secret = secretBox.open(legacy, legacyTOTPAssociatedData(row.user_id));
    if (secret === null) {
      throw new Error(
        'The master key does not match this database (an authenticator secret cannot be opened). Start with the TWOFOLD_MASTER_KEY (or master.key file) the database was created with.',
      );
    }
    const result = await db
      .updateTable('authenticators')
      .set({ sealed_secret: secretBox.seal(secret, authenticatorAssociatedData(row.id)), legacy_sealed_secret: null })
      .where('id', '=', row.id)
      .where('legacy_sealed_secret', '=', legacy)
      .executeTakeFirst();
    done += changedRows(result);
  }
  return done;
}
