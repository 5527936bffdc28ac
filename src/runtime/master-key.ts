import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function masterKeyFilePath(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

/**
 * The key that seals TOTP secrets: TWOFOLD_MASTER_KEY when set, otherwise a file in the data
 * folder created on first start with mode 0600. Created with O_EXCL so two processes starting
 * together cannot each write a different key.
 */
export function loadOrCreateMasterKey(configured: Buffer | null, dataDir: string): { key: Buffer; source: 'environment' | 'file' | 'new-file' } {
  if (configured !== null) return { key: configured, source: 'environment' };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = masterKeyFilePath(dataDir);
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { key: readKeyFile(file), source: 'new-file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  return { key: readKeyFile(file), source: 'file' };
}

function readKeyFile(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`${file} does not hold a 32-byte hex key`);
  return Buffer.from(text, 'hex');
}
