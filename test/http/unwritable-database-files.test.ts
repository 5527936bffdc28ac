import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFilePath } from '../../src/store/database.ts';
import { ADMIN_PASSWORD, createTestEnvironment, type TestEnvironment } from '../support/harness.ts';
import { call, startInstance, type Instance } from '../support/processes.ts';

// Issue 10, "Faults", with the operating system refusing the writes rather than SQLite being
// told to: the compiled server runs as its own process, then its database files are made
// immutable (`chattr +i`, which even root cannot write through) or the process gets a file-size
// limit of one byte (`prlimit --fsize`, how a full disk looks to the writer: every write fails).
// Either way a login answers 503 service_unavailable, issues no session, /readyz takes the
// instance out of rotation, and all works again once the files can be written.
//
// chattr needs root (CAP_LINUX_IMMUTABLE), as CI has; elsewhere the suite is skipped.
const IS_ROOT = process.getuid?.() === 0;
const HAS_TOOLS = ['chattr', 'prlimit'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

describe.skipIf(!IS_ROOT || !HAS_TOOLS)('a SQLite database the operating system will not let the server write', { timeout: 120_000 }, () => {
  let environment: TestEnvironment;
  let instance: Instance;
  let file = '';
  let immutable: string[] = [];

  const login = () => call(instance.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } });
  /** Read through a connection of the test's own, which reading never needs to write for. */
  const sessionCount = (): number => {
    const db = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      return Number((db.prepare('select count(*) as n from sessions').get() as { n: number }).n);
    } finally {
      db.close();
    }
  };
  const releaseFiles = () => {
    if (immutable.length > 0) execFileSync('chattr', ['-i', ...immutable]);
    immutable = [];
  };

  beforeAll(async () => {
    environment = createTestEnvironment('sqlite');
    instance = await startInstance(environment.env);
    file = sqliteFilePath(environment.dataDir);
  });
  afterAll(async () => {
    releaseFiles();
    await instance?.stop();
    await environment.dropDatabase();
  });

  async function expectRefusedWithoutSession(): Promise<void> {
    const before = sessionCount();
    const refused = await login();
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
    expect(refused.json).not.toHaveProperty('token');
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(refused.headers.get('retry-after')).toBe('5');
    const readyz = await call(instance.url, 'GET', '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.json).toMatchObject({ error: { code: 'service_unavailable' } });
    // Alive (reads need no write), but not ready; and no session row got in.
    expect((await call(instance.url, 'GET', '/healthz')).status).toBe(200);
    expect(sessionCount()).toBe(before);
  }

  async function expectWorkingAgain(): Promise<void> {
    expect((await call(instance.url, 'GET', '/readyz')).status).toBe(200);
    const before = sessionCount();
    const ok = await login();
    expect(ok.status).toBe(200);
    expect(ok.json.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(sessionCount()).toBe(before + 1);
    expect(instance.child.exitCode).toBeNull();
  }

  it('answers 503 and issues no session while the database and its WAL are immutable (chattr +i), and recovers', async () => {
    expect((await login()).status).toBe(200);
    // The main file and the write-ahead log. Not the -shm file: SQLite maps it into memory, and
    // a write to a mapped page of an immutable file is SIGBUS, not an error (docs/security.md).
    immutable = [file, `${file}-wal`].filter((f) => existsSync(f));
    expect(immutable).toHaveLength(2);
    execFileSync('chattr', ['+i', ...immutable]);
    try {
      await expectRefusedWithoutSession();
    } finally {
      releaseFiles();
    }
    await expectWorkingAgain();
  });

  it('answers 503 and issues no session while every file write fails (prlimit --fsize=1, as on a full disk), and recovers', async () => {
    const pid = String(instance.child.pid);
    // The soft limit only: lowering the hard one could not be undone without CAP_SYS_RESOURCE.
    execFileSync('prlimit', ['--pid', pid, '--fsize=1:']);
    try {
      await expectRefusedWithoutSession();
    } finally {
      execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:']);
    }
    await expectWorkingAgain();
  });
});
