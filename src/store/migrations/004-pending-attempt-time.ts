import type { Kysely } from 'kysely';

// When the last attempt slot was taken. Slots of checks that never finished (an instance killed
// mid-request) are given back once no slot has been taken for a minute, instead of shrinking the
// account's allowance for ever.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('attempt_counters').addColumn('pending_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}
