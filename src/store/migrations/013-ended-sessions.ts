import type { Kysely } from 'kysely';

// Why a session ended, keyed by its token hash: a client that still holds the token can be told
// "your password was changed" instead of a bare 401. Only the token's holder can look a row up
// (the hash of a secret it has), so the table says nothing to anyone else. Rows are kept for one
// session lifetime after the end (keep_until), then swept with the other expired rows.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ended_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'bigint', (c) => c.notNull())
    .addColumn('keep_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ended_sessions_keep_until').on('ended_sessions').column('keep_until').execute();
}
