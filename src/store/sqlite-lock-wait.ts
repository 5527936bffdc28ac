import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * SQLite's own busy handler waits for another process's lock synchronously, stalling the whole
 * event loop (every request, even /healthz) for as long as the lock is held. Here SQLite waits
 * only a few milliseconds (busy_timeout); after that a statement or a BEGIN that found the
 * database locked is retried from a timer, with backoff, until `maxWaitMs` have passed; then
 * the SQLITE_BUSY error stands and the request fails closed with 503.
 *
 * Within this process the one connection is shared under a mutex, so in-process writers queue
 * instead of polling. The mutex is not held while waiting for another process's lock, so reads
 * (which WAL never blocks) go on meanwhile. A transaction holds the mutex from its BEGIN
 * IMMEDIATE (which takes the write lock up front) to its COMMIT or ROLLBACK.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 10;
export const DEFAULT_LOCK_WAIT_MS = 5_000;
const MAX_BACKOFF_MS = 50;

/**
 * Appended to a statement (Kysely's `modifyEnd`) that must fail at once instead of waiting
 * while another process holds the database's lock. A marker in the statement, not an
 * AsyncLocalStorage: ALS would switch on promise hooks for the whole process, a cost on every
 * request for a rule that concerns one statement.
 */
const NO_LOCK_WAIT_MARK = '/* twofold:no-lock-wait */';
export const NO_LOCK_WAIT = sql.raw(NO_LOCK_WAIT_MARK);

/** Whether an error means "another connection holds the lock" (any dialect's driver error). */
export function isLockBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return release;
  }
}

/**
 * Prepared statements by SQL text. The request path runs the same few dozen query shapes with
 * new parameters, and preparing one costs more than running it; kept per connection, bounded.
 */
const STATEMENT_CACHE_SIZE = 500;
const statementCaches = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

function prepared(db: SQLite.Database, sql: string): SQLite.Statement {
  let cache = statementCaches.get(db);
  if (cache === undefined) statementCaches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    // Oldest first out: a Map iterates in insertion order.
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(sql, statement);
  }
  return statement;
}

function run(db: SQLite.Database, query: CompiledQuery): QueryResult<unknown> {
  const statement = prepared(db, query.sql);
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class LockWaitingDriver implements Driver {
  readonly #db: SQLite.Database;
  readonly #maxWaitMs: number;
  readonly #mutex = new Mutex();

  constructor(db: SQLite.Database, maxWaitMs: number) {
    this.#db = db;
    this.#maxWaitMs = maxWaitMs;
  }

  async init(): Promise<void> {}

  /** Tries `attempt` under the mutex; while the database is locked elsewhere, again after a pause without it. */
  async withRetry<T>(attempt: () => T, options: { hold?: boolean; wait?: boolean } = {}): Promise<{ value: T; release: () => void }> {
    const hold = options.hold === true;
    const deadline = Date.now() + this.#maxWaitMs;
    let pause = 1;
    for (;;) {
      const release = await this.#mutex.lock();
      try {
        const value = attempt();
        if (!hold) release();
        return { value, release };
      } catch (error) {
        release();
        if (!isLockBusy(error) || options.wait === false || Date.now() + pause > deadline) throw error;
      }
      await sleep(pause);
      pause = Math.min(pause * 2, MAX_BACKOFF_MS);
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this.#db, this);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    const lease = connection as Lease;
    const { release } = await this.withRetry(() => run(this.#db, CompiledQuery.raw('begin immediate')), { hold: true });
    lease.release = release;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    run(this.#db, CompiledQuery.raw('commit'));
    lease.end();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    try {
      // Some failures (SQLITE_FULL, SQLITE_IOERR, a failed BEGIN) leave no transaction to roll back.
      if (this.#db.inTransaction && lease.release !== null) run(this.#db, CompiledQuery.raw('rollback'));
    } finally {
      lease.end();
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.#db.close();
  }
}

/** One caller's use of the shared connection; inside a transaction it holds the mutex. */
class Lease implements DatabaseConnection {
  release: (() => void) | null = null;
  readonly #db: SQLite.Database;
  readonly #driver: LockWaitingDriver;

  constructor(db: SQLite.Database, driver: LockWaitingDriver) {
    this.#db = db;
    this.#driver = driver;
  }

  end(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Inside our transaction the write lock is ours already.
    if (this.release !== null) return run(this.#db, query) as QueryResult<R>;
    const wait = !query.sql.trimEnd().endsWith(NO_LOCK_WAIT_MARK);
    return (await this.#driver.withRetry(() => run(this.#db, query), { wait })).value as QueryResult<R>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite');
  }
}

export class LockWaitingSqliteDialect extends SqliteDialect {
  readonly #db: SQLite.Database;
  readonly #maxWaitMs: number;
  constructor(db: SQLite.Database, maxWaitMs: number) {
    super({ database: db });
    this.#db = db;
    this.#maxWaitMs = maxWaitMs;
  }
  override createDriver(): Driver {
    return new LockWaitingDriver(this.#db, this.#maxWaitMs);
  }
}
