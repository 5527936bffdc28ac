import type { Kysely } from 'kysely';

// - users.disabled: an administrator can suspend an account without deleting it.
// - users.password_change_required: after an administrator sets a password, the next login must
//   choose a new one before any session exists.
// - password_tokens: single-use tokens of the password flows (the forced change after a login,
//   the emailed reset link), stored only as their SHA-256, bound to the account's session epoch
//   so that ending the account's sessions also voids them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('password_change_required', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('password_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('client', 'text')
    .addColumn('device_name', 'text')
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('account_epoch', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('password_tokens_user_id').on('password_tokens').column('user_id').execute();
}
