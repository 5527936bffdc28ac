import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { DIALECTS, createTestEnvironment, type TestEnvironment } from '../support/harness.ts';

// TWOFOLD_DATABASE_SCHEMA promises that several deployments (and test runs) can share one
// PostgreSQL database. Each must then migrate its own schema, whatever the others hold.
describe.runIf(DIALECTS.includes('postgres'))('two schemas in one PostgreSQL database', () => {
  const environments: TestEnvironment[] = [];
  const handles: DatabaseHandle[] = [];
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    for (const environment of environments) await environment.dropDatabase();
  });

  // Regression: Kysely's Migrator without `migrationTableSchema` treats the migration tables as
  // present when ANY schema has them (its introspection lists every schema), so the second
  // schema skipped creating its own and failed with 42P01 `relation "kysely_migration_lock"
  // does not exist` (and two test files on PostgreSQL at once made startTestApp flaky).
  it('migrates a second schema while the first one is in use', async () => {
    const first = createTestEnvironment('postgres');
    environments.push(first);
    handles.push(await createDatabase(first.config));

    const second = createTestEnvironment('postgres');
    environments.push(second);
    const handle = await createDatabase(second.config);
    handles.push(handle);
    expect(await handle.store.countAccounts()).toBe(0);
  });
});
