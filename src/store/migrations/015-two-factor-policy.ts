import type { Kysely } from 'kysely';

// "Require two-factor" (issue 12):
// - users.two_factor_policy_since: when the administrators' two-factor policy started applying
//   to the account (the policy changed, the account was created, it was promoted). Null while no
//   policy applies. The grace deadline is this plus the current grace days, so changing only the
//   days restarts nobody's clock.
// - enrollment_tokens: the short-lived bearer a user who must set up two-factor gets instead of
//   a session, stored only as its SHA-256, bound to the account's session epoch.
// - admin_recovery_codes: one live code per account that an administrator issued, stored as a
//   keyed digest (SecretBox.mac); a new one replaces the old (primary key on user_id).
// The policy itself is a `meta` row (absent: off, no grace).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('two_factor_policy_since', 'bigint').execute();
  await db.schema
    .createTable('enrollment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('client', 'text', (c) => c.notNull())
    .addColumn('device_name', 'text')
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('account_epoch', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('enrollment_tokens_user_id').on('enrollment_tokens').column('user_id').execute();
  // The expiry sweep deletes by time (see migration 017): without an index it reads the table.
  await db.schema.createIndex('enrollment_tokens_expires_at').on('enrollment_tokens').column('expires_at').execute();
  await db.schema
    .createTable('admin_recovery_codes')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('admin_recovery_codes_expires_at').on('admin_recovery_codes').column('expires_at').execute();
}
