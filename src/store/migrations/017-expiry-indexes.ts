import type { Kysely } from 'kysely';

// The expiry sweep deletes by time from every short-lived table; without these indexes each
// delete reads the whole table, and with a million accounts the sweep holds SQLite's write lock
// for as long (test/store/query-plans.test.ts finds any statement that scans a table).
const INDEXES = [
  ['sessions_expires_at', 'sessions', 'expires_at'],
  ['login_challenges_expires_at', 'login_challenges', 'expires_at'],
  ['pending_totp_secrets_expires_at', 'pending_totp_secrets', 'expires_at'],
  ['email_codes_expires_at', 'email_codes', 'expires_at'],
  ['password_tokens_expires_at', 'password_tokens', 'expires_at'],
  ['attempt_counters_window_started_at', 'attempt_counters', 'window_started_at'],
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, table, column] of INDEXES) await db.schema.createIndex(name).ifNotExists().on(table).column(column).execute();
}

/** For the upgrade test: what this migration must leave behind. */
export const EXPIRY_INDEXES = INDEXES.map(([name, table]) => ({ name, table }));
