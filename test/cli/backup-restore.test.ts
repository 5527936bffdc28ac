import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/runtime/services.ts';
import {
  POSTGRES_URL,
  body,
  createTestEnvironment,
  createUser,
  createTestClock,
  enableTOTP,
  login,
  loginToken,
  post,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { REPO_ROOT } from '../support/processes.ts';

const CLI = path.join(REPO_ROOT, 'bin/twofold.js');

function twofold(env: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// One clock for the original and the restored service: the used code must still be in the window.
const clock = createTestClock(Date.now());

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A user with TOTP on who has logged in with `usedCode`: the state a backup must carry over. */
async function enrolledUserWithUsedCode(t: TestApp): Promise<{ username: string; password: string; usedCode: string; unusedCode: string }> {
  const user = await createUser(t.app);
  const token = await loginToken(t.app, user.username, user.password);
  const { codes } = await enableTOTP(t.app, token, user.password);
  const challenge = body<{ challengeId: string }>(await login(t.app, user.username, user.password));
  const used = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: challenge.challengeId, method: 'totp', code: codes.current });
  expect(used.statusCode).toBe(200);
  return { ...user, usedCode: codes.current, unusedCode: codes.next };
}

/** On the restored database: the password works, the used code stays used, an unused one works. */
async function expectRestoredState(t: TestApp, user: { username: string; password: string; usedCode: string; unusedCode: string }): Promise<void> {
  const challengeOf = async () => body<{ challengeId: string }>(await login(t.app, user.username, user.password)).challengeId;
  const replay = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: await challengeOf(), method: 'totp', code: user.usedCode });
  expect(replay.statusCode).toBe(401);
  expect(body(replay)).toMatchObject({ error: { code: 'invalid_code', message: 'This code was already used. Wait for the next code in your app.' } });
  const fresh = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: await challengeOf(), method: 'totp', code: user.unusedCode });
  expect(fresh.statusCode).toBe(200);
}

describe('backup and restore (SQLite)', { timeout: 180_000 }, () => {
  it('backs up while the service runs, refuses to overwrite without --force, and restores a database that logs in and keeps replay state', async () => {
    const original = await startTestApp(createTestEnvironment('sqlite'), { clock });
    const user = await enrolledUserWithUsedCode(original);
    const folder = mkdtempSync(path.join(tmpdir(), 'twofold-backup-'));
    scratch.push(folder);
    const file = path.join(folder, 'twofold-backup.sqlite');

    // The service is running (its connection is open, WAL and all).
    const made = twofold(original.environment.env, ['backup', file]);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain('master key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = twofold(original.environment.env, ['backup', file]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('--force');
    expect(twofold(original.environment.env, ['backup', file, '--force']).status).toBe(0);
    await original.stop();

    // A new machine: an empty data folder.
    const restoredEnvironment = createTestEnvironment('sqlite');
    const restored = twofold(restoredEnvironment.env, ['restore', file]);
    expect(restored.status, restored.stderr).toBe(0);
    expect(twofold(restoredEnvironment.env, ['restore', file]).stderr).toContain('--force');
    expect(twofold(restoredEnvironment.env, ['restore', file, '--force']).status).toBe(0);
    // Not a database, or not ours: refused, nothing replaced.
    expect(twofold(restoredEnvironment.env, ['restore', path.join(REPO_ROOT, 'package.json'), '--force']).status).toBe(1);

    // Without its master key the backup is useless: the service refuses to start.
    await expect(createServices(restoredEnvironment.config)).rejects.toThrow(/master key does not match/);
    copyFileSync(path.join(original.environment.dataDir, 'master.key'), path.join(restoredEnvironment.dataDir, 'master.key'));
    const t = await startTestApp(restoredEnvironment, { clock });
    try {
      await expectRestoredState(t, user);
    } finally {
      await t.close();
      await original.environment.dropDatabase();
    }
  });

  it('points PostgreSQL deployments to pg_dump', () => {
    const environment = createTestEnvironment('postgres');
    const result = twofold(environment.env, ['backup', path.join(environment.dataDir, 'x.sqlite')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('pg_dump');
    expect(existsSync(path.join(environment.dataDir, 'x.sqlite'))).toBe(false);
  });
});

describe('backup and restore (PostgreSQL, pg_dump and psql as the README says)', { timeout: 180_000 }, () => {
  it('restores a dump that logs in and keeps replay state', async () => {
    const original = await startTestApp(createTestEnvironment('postgres'), { clock });
    const user = await enrolledUserWithUsedCode(original);
    const schema = original.environment.config.databaseSchema;
    const file = path.join(original.environment.dataDir, 'twofold.sql');
    execFileSync('pg_dump', ['--dbname', POSTGRES_URL, '--schema', schema, '--no-owner', '--file', file]);
    await original.stop();
    // Restored as a new deployment. (Into a fresh schema rather than over the dropped original:
    // other test files share this database, and a schema dropped while they migrate breaks them.
    // The schema names are random, so renaming them in the dump is exact.)
    const restoredSchema = `${schema}_restored`;
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(schema, restoredSchema));
    execFileSync('psql', [POSTGRES_URL, '-q', '-v', 'ON_ERROR_STOP=1', '-f', file]);
    const environment = createTestEnvironment('postgres', { TWOFOLD_DATA_DIR: original.environment.dataDir, TWOFOLD_DATABASE_SCHEMA: restoredSchema });
    const t = await startTestApp(environment, { clock });
    try {
      await expectRestoredState(t, user);
    } finally {
      await t.close();
    }
  });
});
