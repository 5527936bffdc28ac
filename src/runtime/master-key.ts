import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function masterKeyFilePath(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

export type MasterKeySource = 'environment' | 'file' | 'new-file';

/**
 * The keys that seal stored secrets: TWOFOLD_MASTER_KEY when set, otherwise the file in the data
 * folder, created on first start with mode 0600 (O_EXCL, so two processes starting together
 * cannot each write a different key). The file holds one hex key a line; it holds two only
 * while `twofold keys rotate-master` runs (the old key stays readable until everything is re-sealed).
 */
export function loadOrCreateMasterKey(configured: Buffer | null, dataDir: string): { keys: Buffer[]; source: MasterKeySource } {
  if (configured !== null) return { keys: [configured], source: 'environment' };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = masterKeyFilePath(dataDir);
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { keys: readKeyFile(file), source: 'new-file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { keys: readKeyFile(file), source: 'file' };
}

/** Reads the keys of master.key, refusing a file other users can read. */
export function readKeyFile(file: string): Buffer[] {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0 || !lines.every((line) => /^[0-9a-f]{64}$/i.test(line))) throw new Error(`${file} does not hold a 32-byte hex key`);
  return lines.map((line) => Buffer.from(line, 'hex'));
}

/** Replaces master.key in one step (a new file renamed over it), so no reader sees half a file. */
export function writeKeyFile(dataDir: string, keys: Buffer[]): void {
  const file = masterKeyFilePath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, keys.map((key) => `${key.toString('hex')}\n`).join(''), { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}
