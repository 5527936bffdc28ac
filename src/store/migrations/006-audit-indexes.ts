import type { Kysely } from 'kysely';

// The administrator's audit filters (by account, by event type, newest first) and the retention
// sweep (by time) each get an index, so they stay fast with millions of events. (audit_events_at
// from 001 already serves time order and the sweep.)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_events_user_at').ifNotExists().on('audit_events').columns(['user_id', 'at', 'id']).execute();
  await db.schema.createIndex('audit_events_type_at').ifNotExists().on('audit_events').columns(['type', 'at', 'id']).execute();
}
