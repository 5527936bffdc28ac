import { mkdirSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { sqliteFilePath } from '../../src/store/database.ts';
import type { Database } from '../../src/store/schema.ts';
import type { TestEnvironment } from './harness.ts';

/** A plain Kysely handle on a test environment's database, without running Twofold's migrations. */
export function openRawDatabase(environment: TestEnvironment): { db: Kysely<Database> } {
  const { config } = environment;
  if (config.databaseUrl === null) {
    mkdirSync(config.dataDir, { recursive: true });
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(sqliteFilePath(config.dataDir)) }) }) };
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, options: `-c search_path=${config.databaseSchema}` });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}
