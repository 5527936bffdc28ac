import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

// Credentials become rows: one `authenticators` table replaces totp_credentials and the
// account's single users.two_factor_method ("two-factor is on" is derived from the rows).
// Sessions record how they were proved (RFC 8176 amr, auth_time) instead of a boolean.
//
// SQL cannot re-bind a sealed secret to new associated data, so moved TOTP secrets land in
// legacy_sealed_secret, still sealed to the account; store/upgrades/reseal-authenticators.ts
// re-seals them to the authenticator's id right after, under the same migration lock.
// Portable DDL and plain row copies only: the same migration runs on SQLite and PostgreSQL.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('authenticators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sealed_secret', 'text')
    .addColumn('legacy_sealed_secret', 'text')
    .addColumn('last_used_step', 'bigint')
    .addColumn('clock_offset_seconds', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('authenticators_user_id').on('authenticators').columns(['user_id', 'created_at']).execute();
  // One email method per account, guarded by the database (a partial unique index, portable).
  await db.schema
    .createIndex('authenticators_one_email')
    .on('authenticators')
    .column('user_id')
    .unique()
    .where(sql.ref('type'), '=', 'email')
    .execute();

  const totp = await db.selectFrom('totp_credentials').selectAll().execute();
  for (const row of totp) {
    await db
      .insertInto('authenticators')
      .values({
        id: randomUUID(),
        user_id: row.user_id,
        type: 'totp',
        name: 'Authenticator app',
        sealed_secret: null,
        legacy_sealed_secret: row.sealed_secret,
        last_used_step: row.last_used_step,
        clock_offset_seconds: null,
        created_at: row.created_at,
        last_used_at: null,
      })
      .execute();
  }
  const emailUsers = await db.selectFrom('users').select(['id', 'two_factor_changed_at', 'created_at']).where('two_factor_method', '=', 'email').execute();
  for (const row of emailUsers) {
    await db
      .insertInto('authenticators')
      .values({
        id: randomUUID(),
        user_id: row.id,
        type: 'email',
        name: 'Email',
        sealed_secret: null,
        legacy_sealed_secret: null,
        last_used_step: null,
        clock_offset_seconds: null,
        created_at: row.two_factor_changed_at ?? row.created_at,
        last_used_at: null,
      })
      .execute();
  }
  await db.schema.dropTable('totp_credentials').execute();
  await db.schema.alterTable('users').dropColumn('two_factor_method').execute();

  await db.schema.alterTable('pending_totp_secrets').addColumn('name', 'text', (c) => c.notNull().defaultTo('Authenticator app')).execute();

  // Sessions made before this release were proved by a password at least; a Password window
  // passed with a code proved an app or email code too.
  await db.schema.alterTable('sessions').addColumn('amr', 'text', (c) => c.notNull().defaultTo('pwd')).execute();
  await db.schema.alterTable('sessions').addColumn('auth_time', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('sessions').addColumn('reauth_amr', 'text').execute();
  await db.updateTable('sessions').set((eb) => ({ auth_time: eb.ref('created_at') })).execute();
  await db.updateTable('sessions').set({ reauth_amr: 'pwd otp mfa' }).where('reauth_second_factor', '=', 1).where('reauthenticated_at', 'is not', null).execute();
  await db.updateTable('sessions').set({ reauth_amr: 'pwd' }).where('reauth_second_factor', '=', 0).where('reauthenticated_at', 'is not', null).execute();
  await db.schema.alterTable('sessions').dropColumn('reauth_second_factor').execute();
}
