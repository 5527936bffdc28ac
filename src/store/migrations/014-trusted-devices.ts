import type { Kysely } from 'kysely';

// Device credentials (issue 11): one row per client a login completed on, found by the SHA-256 of
// the 32-byte random token the client holds (the token itself is never stored). A row with
// `trusted_at` set skips the second step until trusted_at + TWOFOLD_TRUSTED_DEVICE_DAYS; without
// it the row is a known device only, which gives its own password budget (attempt-limits.ts).
// `known_devices` (002) stays beside it: it remembers fingerprints for "new sign-in" notices,
// also of clients that keep no device token.
//
// sessions.second_factor records how the login's second step was met ('trusted_device' among
// them), which amr (RFC 8176) has no value for. login_challenges.device_id carries the known
// device of the password step to the code step, so that the code step renews that row.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('client', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addColumn('trusted_at', 'bigint')
    .execute();
  await db.schema.createIndex('devices_user_id').on('devices').column('user_id').execute();
  await db.schema.createIndex('devices_last_used_at').on('devices').column('last_used_at').execute();
  await db.schema.alterTable('sessions').addColumn('second_factor', 'text').execute();
  // The device credential the session's login left: "This device" in the owner's list.
  await db.schema.alterTable('sessions').addColumn('device_id', 'text').execute();
  await db.schema.alterTable('login_challenges').addColumn('device_id', 'text').execute();
}
