import type { Kysely } from 'kysely';

// - users.session_epoch / sessions.account_epoch / login_challenges.account_epoch: ending an
//   account's sessions moves its epoch on, so a session inserted by a login that raced the change
//   never authenticates (deleting rows alone cannot catch an insert that commits afterwards).
// - attempt_counters.pending: checks in flight, apart from failures, so that restarting a window
//   cannot wipe slots that are still being checked.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('sessions').addColumn('account_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('login_challenges').addColumn('account_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('attempt_counters').addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
