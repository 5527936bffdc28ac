import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_URL, createTestEnvironment, type Dialect, type TestEnvironment } from './harness.ts';

// The databases release 276272a made through its own flows (test/fixtures/release-276272a/
// make-fixture.ts): every migration since is tested on them, on both dialects.
export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/release-276272a');

export interface FixtureUser {
  password: string;
  method: 'totp' | 'email' | null;
  secret?: string;
  lastUsedStep?: number;
  lastUsedAt?: number;
  email?: string;
  recoveryCodes?: string[];
  usedRecoveryCode?: string | null;
}

export interface Manifest {
  masterKey: string;
  createdAt: number;
  users: Record<string, FixtureUser>;
}

export function readManifest(dialect: Dialect): Manifest {
  return JSON.parse(readFileSync(path.join(FIXTURES, `manifest-${dialect}.json`), 'utf8')) as Manifest;
}

/** A fresh database holding the old release's data: a copy of the SQLite file, or the dump loaded into a new schema. */
export async function loadFixture(dialect: Dialect, manifest: Manifest = readManifest(dialect)): Promise<TestEnvironment> {
  const environment = createTestEnvironment(dialect, { TWOFOLD_MASTER_KEY: manifest.masterKey });
  if (dialect === 'sqlite') {
    mkdirSync(environment.dataDir, { recursive: true });
    copyFileSync(path.join(FIXTURES, 'twofold.sqlite'), path.join(environment.dataDir, 'twofold.sqlite'));
    return environment;
  }
  const schema = environment.env.TWOFOLD_DATABASE_SCHEMA!;
  // pg_dump's psql meta-commands (\restrict) are for psql; the SQL itself loads as is.
  const dump = readFileSync(path.join(FIXTURES, 'postgres.sql'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n')
    .replaceAll('fixture_276272a', schema);
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(dump);
  } finally {
    await client.end();
  }
  return environment;
}
