import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Config } from '../config.ts';
import { sqliteFilePath } from '../store/database.ts';

export class BackupError extends Error {}

const POSTGRES_HINT =
  'This deployment uses PostgreSQL (TWOFOLD_DATABASE_URL): back it up with pg_dump and restore with psql (see README, "Backups").';

function checkIsTwofoldDatabase(file: string): void {
  let db: SQLite.Database;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`Cannot open ${file} as an SQLite database: ${(error as Error).message}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${file} is damaged (quick_check: ${String(check)}).`);
    const hasKeyCheck = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'meta'").get() !== undefined;
    if (!hasKeyCheck || db.prepare("select 1 from meta where key = 'master_key_check'").get() === undefined) {
      throw new BackupError(`${file} is not a Twofold database.`);
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file} is not a readable SQLite database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Copies `source` into `target` with SQLite's online backup API: a consistent snapshot even while
 * the service writes (the API restarts a step when the source changes under it), written to a
 * temporary name first so that a failed or interrupted copy never replaces a good file.
 */
async function copyDatabase(source: string, target: string): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10');
    await db.backup(temporary);
    chmodSync(temporary, 0o600);
    checkIsTwofoldDatabase(temporary);
    renameSync(temporary, target);
  } finally {
    db.close();
    rmSync(temporary, { force: true });
  }
}

/** `twofold backup <file> [--force]`: a plain SQLite file, taken while the service runs. */
export async function backupDatabase(config: Config, file: string, options: { force: boolean }): Promise<string> {
  if (config.databaseUrl !== null) throw new BackupError(POSTGRES_HINT);
  const source = sqliteFilePath(config.dataDir);
  if (!existsSync(source)) throw new BackupError(`No database at ${source}. Set TWOFOLD_DATA_DIR to the service's data folder.`);
  const target = path.resolve(file);
  if (path.resolve(source) === target) throw new BackupError('The backup file must not be the database itself.');
  if (existsSync(target) && !options.force) throw new BackupError(`${target} already exists. Add --force to replace it.`);
  await copyDatabase(source, target);
  return target;
}

/**
 * `twofold restore <file> [--force]`: puts a backup in place as the database of TWOFOLD_DATA_DIR.
 * Run it with the service stopped; the next start applies any newer migrations.
 */
export async function restoreDatabase(config: Config, file: string, options: { force: boolean }): Promise<string> {
  if (config.databaseUrl !== null) throw new BackupError(POSTGRES_HINT);
  const source = path.resolve(file);
  if (!existsSync(source)) throw new BackupError(`No backup at ${source}.`);
  checkIsTwofoldDatabase(source);
  const target = sqliteFilePath(config.dataDir);
  if (existsSync(target) && !options.force) {
    throw new BackupError(`${target} already exists. Stop the service and add --force to replace that database with the backup.`);
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  await copyDatabase(source, `${target}.restoring`);
  // The old database's write-ahead log belongs to the old file: replayed onto the backup it would corrupt it.
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${target}${suffix}`, { force: true });
  renameSync(`${target}.restoring`, target);
  return target;
}
