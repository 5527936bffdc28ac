import { mkdirSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/core/passwords.ts';
import { createDatabase, sqliteFilePath } from '../../src/store/database.ts';
import * as initial from '../../src/store/migrations/001-initial.ts';
import * as knownDevices from '../../src/store/migrations/002-known-devices.ts';
import * as sessionEpochs from '../../src/store/migrations/003-session-epochs-and-pending-attempts.ts';
import * as pendingTime from '../../src/store/migrations/004-pending-attempt-time.ts';
import { DIALECTS, POSTGRES_URL, createTestEnvironment, type TestEnvironment } from '../support/harness.ts';

// An upgrade must never lose a user: a database made by the release before (migrations 001-004,
// rows written as that release wrote them) is opened by this one, which adds 007.
const PREVIOUS_RELEASE: Record<string, Migration> = {
  '001-initial': initial,
  '002-known-devices': knownDevices,
  '003-session-epochs-and-pending-attempts': sessionEpochs,
  '004-pending-attempt-time': pendingTime,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function openRaw(environment: TestEnvironment): Promise<Kysely<any>> {
  if (environment.dialect === 'sqlite') {
    mkdirSync(environment.dataDir, { recursive: true });
    return new Kysely({ dialect: new SqliteDialect({ database: new SQLite(sqliteFilePath(environment.dataDir)) }) });
  }
  const schema = environment.config.databaseSchema;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema if not exists ${schema}`);
  await admin.end();
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: POSTGRES_URL, max: 1, options: `-c search_path=${schema}` }) }) });
}

describe.each(DIALECTS)('migration 007 on a database of the previous release (%s)', (dialect) => {
  const environment = createTestEnvironment(dialect);
  afterAll(async () => {
    await environment.dropDatabase();
  });

  it('keeps every account and session, and new columns start as "enabled, no change required"', async () => {
    const raw = await openRaw(environment);
    const migrator = new Migrator({
      db: raw,
      provider: { getMigrations: async () => PREVIOUS_RELEASE },
      ...(dialect === 'postgres' ? { migrationTableSchema: environment.config.databaseSchema } : {}),
    });
    const { error } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    const passwordHash = await hashPassword('old-release-password-1');
    for (const [id, username, role] of [
      ['u-1', 'admin', 'admin'],
      ['u-2', 'Alice', 'user'],
    ] as const) {
      await raw
        .insertInto('users')
        .values({ id, username, username_key: username.toLowerCase(), display_name: username, email: null, email_verified: 0, role, password_hash: passwordHash, two_factor_method: null, two_factor_changed_at: null, created_at: 1, updated_at: 1, session_epoch: 3 })
        .execute();
    }
    await raw
      .insertInto('sessions')
      .values({ id: 's-1', token_hash: 'h'.repeat(64), user_id: 'u-2', client: 'web', device_name: null, ip: '127.0.0.1', user_agent: null, created_at: 1, last_seen_at: 1, expires_at: 9e12, reauthenticated_at: null, reauth_second_factor: 0, account_epoch: 3 })
      .execute();
    await raw.destroy();

    const handle = await createDatabase(environment.config);
    try {
      const accounts = await handle.store.listAccounts();
      expect(accounts.map((a) => [a.username, a.role, a.disabled, a.passwordChangeRequired, a.sessionEpoch, a.passwordHash === passwordHash])).toEqual([
        ['admin', 'admin', false, false, 3, true],
        ['Alice', 'user', false, false, 3, true],
      ]);
      expect((await handle.store.findLiveSession('h'.repeat(64), Date.now()))?.account.username).toBe('Alice');
      expect(await handle.store.countActiveAdministrators()).toBe(1);
      expect(await handle.store.findPasswordToken('x')).toBeNull();
    } finally {
      await handle.close();
    }
  });
});
