import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { createKyselyStore } from './kysely/index.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import { DEFAULT_LOCK_WAIT_MS, LockWaitingSqliteDialect, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-lock-wait.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  dialect: DialectName;
  db: Kysely<Database>;
  store: Store;
  /** Connections in use and idle, for metrics; SQLite has one connection. */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export type DatabaseOptions = Pick<Config, 'dataDir' | 'databaseUrl' | 'databaseSchema' | 'databasePoolSize'> & {
  /** How long a write may wait for a lock another process holds on the SQLite file (then 503). */
  sqliteLockWaitMs?: number;
};

export function sqliteFilePath(dataDir: string): string {
  return path.join(dataDir, 'twofold.sqlite');
}

function openSqlite(options: DatabaseOptions): DatabaseHandle {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = sqliteFilePath(options.dataDir);
  // Password and token hashes live here: owner-only, even in a data folder someone else made.
  // (SQLite gives the -wal and -shm files the database file's permissions.)
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const connection = new SQLite(file);
  // WAL lets the CLI read and write while the server runs. The busy timeout is short on
  // purpose: SQLite waits synchronously, blocking the event loop; longer waits for another
  // process's lock happen asynchronously (sqlite-lock-wait.ts).
  connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('synchronous = NORMAL');
  // Every login writes a few hot pages (attempt counters, the challenge, sessions, audit): a
  // larger WAL between checkpoints writes each hot page back once per checkpoint, not once per
  // ~60 logins. The WAL file is truncated back after each checkpoint (journal_size_limit).
  connection.pragma('wal_autocheckpoint = 10000');
  connection.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const db = new Kysely<Database>({ dialect: new LockWaitingSqliteDialect(connection, options.sqliteLockWaitMs ?? DEFAULT_LOCK_WAIT_MS) });
  return {
    dialect: 'sqlite',
    db,
    store: createKyselyStore(db),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, options: DatabaseOptions): DatabaseHandle {
  // int8 columns hold millisecond times and counters, all far below 2^53: read them as numbers.
  const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.databasePoolSize,
    types: types as pg.CustomTypesConfig,
    connectionTimeoutMillis: 5_000,
    // Each connection works inside the configured schema; a deployment (or a test run) can share a database.
    options: `-c search_path=${options.databaseSchema}`,
  });
  // An idle connection dropped by the server (restart, failover, network) is reported here;
  // without a listener it would crash the process. The pool replaces it on next use.
  pool.on('error', () => {});
  // The same for a connection that drops while checked out: its query fails (and is answered
  // with 503), but the client's own 'error' event must not become an uncaught exception.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    store: createKyselyStore(db),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}

/**
 * Data upgrades that need more than SQL (the master key): run after the migrations, under the
 * same lock, on every start. Each must be idempotent (store/upgrades/).
 */
export type DataUpgrade = (db: Kysely<Database>) => Promise<unknown>;

/** Opens the configured database and brings its schema (and data, through `upgrade`) up to date. */
export async function createDatabase(options: DatabaseOptions, upgrade?: DataUpgrade): Promise<DatabaseHandle> {
  const handle = options.databaseUrl === null ? openSqlite(options) : openPostgres(options.databaseUrl, options);
  try {
    if (handle.dialect === 'postgres') {
      await createSchemaIfMissing(handle.db, options.databaseSchema);
      await migrateUnderAdvisoryLock(options.databaseUrl!, handle.db, options.databaseSchema, upgrade);
    } else {
      await migrate(handle.db);
      // BEGIN IMMEDIATE holds SQLite's write lock: a CLI starting at the same time waits.
      if (upgrade) await handle.db.transaction().execute((trx) => upgrade(trx));
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

async function createSchemaIfMissing(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    // Two instances starting together can both pass "if not exists"; the loser sees a
    // unique violation on the catalogue, which means the schema is there.
    if ((error as { code?: string }).code !== '23505') throw error;
  }
}

// Any fixed 64-bit number; every Twofold instance on the database agrees on it.
const MIGRATION_LOCK_ID = 7_264_819_301;

/**
 * Kysely creates its own bookkeeping tables before taking its lock, and instances starting at
 * the same moment race on that. A session-level advisory lock, held on a connection of its own
 * (outside the pool, so even a pool of one cannot deadlock), makes the whole step one-at-a-time.
 */
async function migrateUnderAdvisoryLock(url: string, db: Kysely<Database>, schema: string, upgrade?: DataUpgrade): Promise<void> {
  const lockHolder = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await lockHolder.connect();
  try {
    await lockHolder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate(db, schema);
    if (upgrade) await db.transaction().execute((trx) => upgrade(trx));
  } finally {
    // Ending the session releases the lock even if the unlock below is never reached.
    await lockHolder.end();
  }
}

/**
 * Kysely's migrator holds an advisory lock on PostgreSQL (and a transaction on SQLite), so
 * several instances starting at once apply each migration exactly once.
 */
async function migrate(db: Kysely<Database>, schema?: string): Promise<void> {
  // Named explicitly: Kysely otherwise finds its bookkeeping tables in ANY schema of the
  // database, and a second deployment sharing the database would skip creating its own.
  const migrator = new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
