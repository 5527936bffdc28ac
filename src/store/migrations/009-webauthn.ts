import type { Kysely } from 'kysely';

// Passkeys and security keys (WebAuthn) as a kind of authenticator. Their per-type state lives
// on the authenticator row, as TOTP's last used step does; the public key is sealed in
// `sealed_secret` like any other material, bound to the authenticator's id, so whoever can
// write to the database still cannot plant a key of their own without the master key.
// WebAuthn challenges are rows too: single use across instances, and bound to what asked for them.
// Adds columns and a table only: no existing row changes, so every user logs in as before.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authenticators').addColumn('credential_id', 'text').execute();
  await db.schema.alterTable('authenticators').addColumn('sign_count', 'bigint').execute();
  await db.schema.alterTable('authenticators').addColumn('transports', 'text').execute();
  await db.schema.alterTable('authenticators').addColumn('attachment', 'text').execute();
  // One row per credential across all accounts (NULLs, the other kinds, do not collide).
  await db.schema.createIndex('authenticators_credential_id').on('authenticators').column('credential_id').unique().execute();

  await db.schema
    .createTable('webauthn_challenges')
    // What asked for it: `login:<challenge id hash>`, `reauth:<session id>`, `register:<session id>`
    // or `passkey:<passkey challenge id hash>`. One live challenge each: asking again replaces it.
    .addColumn('binding', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text')
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('webauthn_challenges_expires_at').on('webauthn_challenges').column('expires_at').execute();
}
