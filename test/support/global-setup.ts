import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// Each run's PostgreSQL schemas share a prefix and are dropped together at the end. Dropping
// one while another test file migrates would break that migration: Kysely's introspection
// checks privileges on every schema it sees, and a schema dropped mid-query "does not exist".
const prefix = `t_${randomBytes(3).toString('hex')}_`;

export function setup(): void {
  process.env.TWOFOLD_TEST_SCHEMA_PREFIX = prefix;
  // Tests that start real processes run the compiled service (dist/), as production does; a
  // plain `npx vitest run` after an edit must not test yesterday's build.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
}

export async function teardown(): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TWOFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  try {
    await client.connect();
  } catch {
    return; // No PostgreSQL, so nothing was created there.
  }
  try {
    const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where starts_with(nspname, $1)', [prefix]);
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
  } finally {
    await client.end();
  }
}
