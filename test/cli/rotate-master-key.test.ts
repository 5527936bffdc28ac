import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { masterKeyId } from '../../src/core/secret-box.ts';
import { ACTIVE_KEY_META, HANDOFF_META_PREFIX } from '../../src/runtime/key-ring.ts';
import { SEALED_COLUMNS } from '../../src/runtime/sealed-columns.ts';
import { createDatabase } from '../../src/store/database.ts';
import { ADMIN_PASSWORD, DIALECTS, createTestEnvironment, totpCode, type TestEnvironment } from '../support/harness.ts';
import { REPO_ROOT, call, startTestServer, type TestServerInstance } from '../support/processes.ts';

// `twofold keys rotate-master` with two instances running and logins going on at both the whole
// time: none may fail, every stored secret ends up sealed with the new key, the old key is
// retired (an instance started with it refuses to start), recovery codes still work (their MAC
// key survives the rotation) and a setup begun before the rotation can still be finished.
// master.key on SQLite and TWOFOLD_MASTER_KEY (new key on standard input) on PostgreSQL: the key
// source and the dialect are independent code paths, and each case is a minute on a busy machine.
// TWOFOLD_ROTATION_ALL_CASES=1 runs all four combinations.

const SOURCES = { sqlite: 'file', postgres: 'environment' } as const;
const CASES = DIALECTS.flatMap((dialect) =>
  process.env.TWOFOLD_ROTATION_ALL_CASES ? (['file', 'environment'] as const).map((source) => ({ dialect, source })) : [{ dialect, source: SOURCES[dialect] }],
);

interface Enrolled {
  username: string;
  password: string;
  secret: string;
  recoveryCodes: string[];
  token: string;
}

function runCli(env: Record<string, string>, args: string[], input: string | null): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/twofold.js'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end(input ?? '');
    child.once('exit', (status) => resolve({ status, output }));
  });
}

describe.each(CASES)('master-key rotation with the service running ($dialect, key from $source)', ({ dialect, source }) => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  let environment: TestEnvironment;
  let servers: TestServerInstance[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await environment?.dropDatabase();
  });

  it('re-seals every secret while logins at two instances keep working, then retires the old key', async () => {
    environment = createTestEnvironment(dialect, source === 'environment' ? { TWOFOLD_MASTER_KEY: oldKey.toString('hex') } : {});
    servers = [await startTestServer(environment.env)];
    servers.push(await startTestServer(environment.env));
    const keyFile = path.join(environment.dataDir, 'master.key');
    const originalKeyHex = source === 'file' ? readFileSync(keyFile, 'utf8').trim() : oldKey.toString('hex');
    const originalKeyId = masterKeyId(Buffer.from(originalKeyHex, 'hex'));

    const base = servers[0]!.url;
    const adminLogin = await call(base, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } });
    const admin = String(adminLogin.json.token);
    expect((await call(base, 'POST', '/api/v1/me/reauth', { body: { password: ADMIN_PASSWORD }, token: admin })).status).toBe(200);
    const enroll = async (username: string, enable: boolean) => {
      const password = `${username}-password`;
      expect((await call(base, 'POST', '/api/v1/admin/users', { body: { username, password }, token: admin })).status).toBe(201);
      const token = String((await call(base, 'POST', '/api/v1/auth/login', { body: { username, password, client: 'mobile' } })).json.token);
      expect((await call(base, 'POST', '/api/v1/me/reauth', { body: { password }, token })).status).toBe(200);
      const secret = String((await call(base, 'POST', '/api/v1/me/two-factor/totp/setup', { body: {}, token })).json.secret);
      if (!enable) return { username, password, secret, recoveryCodes: [], token };
      const enabled = await call(base, 'POST', '/api/v1/me/two-factor/totp/enable', { body: { code: totpCode(secret, -1) }, token });
      expect(enabled.status).toBe(200);
      return { username, password, secret, recoveryCodes: enabled.json.recoveryCodes as string[], token };
    };
    const accounts: Enrolled[] = [];
    for (let i = 0; i < 4; i++) accounts.push(await enroll(`rotate-${i}`, true));
    // A setup begun before the rotation: its pending secret is sealed too.
    const pending = await enroll('rotate-pending', false);

    // Logins at both instances the whole time: each round moves both clocks one TOTP step on.
    const failures: string[] = [];
    let rounds = 0;
    let stop = false;
    let offsetMs = 0;
    const roundsWhile = { rotating: 0 };
    let rotating = false;
    const logins = (async () => {
      while (!stop) {
        offsetMs += 30_000;
        await Promise.all(servers.map((server) => server.setClockOffset(offsetMs)));
        await Promise.all(
          accounts.map(async (account, i) => {
            const url = servers[(i + rounds) % servers.length]!.url;
            const first = await call(url, 'POST', '/api/v1/auth/login', { body: { username: account.username, password: account.password, client: 'mobile' } });
            const second = await call(url, 'POST', '/api/v1/auth/login/second-factor', {
              body: { challengeId: first.json.challengeId, method: 'totp', code: totpCode(account.secret, 0, Date.now() + offsetMs) },
            });
            if (second.status !== 200) failures.push(`${account.username} round ${rounds}: ${first.status} ${second.status} ${JSON.stringify(second.json)}`);
          }),
        );
        rounds += 1;
        if (rotating) roundsWhile.rotating += 1;
        // Pace the rounds (this is not a wait for a TOTP step: the clock offset moves instead).
        // Every round moves the clock 30 s on, and the setup begun before the rotation lives 30
        // minutes: on a fast, quiet machine unpaced rounds would carry it past its expiry.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    rotating = true;
    const rotation = await runCli(environment.env, ['keys', 'rotate-master', ...(source === 'environment' ? ['--new-key-stdin'] : [])], source === 'environment' ? newKey.toString('hex') : null);
    rotating = false;
    const roundsAfter = rounds;
    while (rounds < roundsAfter + 2) await new Promise((resolve) => setTimeout(resolve, 100));
    stop = true;
    await logins;

    expect(rotation.output).toMatch(/Re-sealed \d+ stored secrets/);
    expect(rotation.status, rotation.output).toBe(0);
    expect(failures).toEqual([]);
    expect(roundsWhile.rotating).toBeGreaterThanOrEqual(2);

    // The key now in use: master.key holds it alone, or it is the one given on standard input.
    const fileKeys = source === 'file' ? readFileSync(keyFile, 'utf8').trim().split('\n') : [];
    if (source === 'file') expect(fileKeys).toHaveLength(1);
    const currentKey = source === 'file' ? Buffer.from(fileKeys[0]!, 'hex') : newKey;
    const currentKeyId = masterKeyId(currentKey);
    expect(currentKeyId).not.toBe(originalKeyId);

    const handle = await createDatabase(environment.config);
    try {
      let sealedValues = 0;
      for (const column of SEALED_COLUMNS) {
        const rows = (await handle.db
          .selectFrom(column.table)
          .selectAll()
          .execute()) as Array<Record<string, unknown>>;
        for (const row of rows) {
          if (column.onlyKeys && !column.onlyKeys.includes(String(row[column.keyColumns[0]!]))) continue;
          const value = row[column.column];
          if (value === null) continue;
          sealedValues += 1;
          expect(String(value), `${column.table}.${column.column}`).toMatch(new RegExp(`^v2\\.${currentKeyId}\\.`));
        }
      }
      // Four credentials, one pending secret, the key check and the MAC key.
      expect(sealedValues).toBe(accounts.length + 1 + 2);
      const meta = await handle.db.selectFrom('meta').selectAll().execute();
      expect(meta.find((row) => row.key === ACTIVE_KEY_META)?.value).toBe(currentKeyId);
      expect(meta.filter((row) => row.key.startsWith(HANDOFF_META_PREFIX))).toEqual([]);
    } finally {
      await handle.close();
    }

    // Recovery codes made before the rotation still work, and the setup begun before it finishes.
    const url = servers[1]!.url;
    const first = await call(url, 'POST', '/api/v1/auth/login', { body: { username: accounts[0]!.username, password: accounts[0]!.password, client: 'mobile' } });
    const recovery = await call(url, 'POST', '/api/v1/auth/login/second-factor', {
      body: { challengeId: first.json.challengeId, method: 'recovery_code', code: accounts[0]!.recoveryCodes[0] },
    });
    expect(recovery.status, JSON.stringify(recovery.json)).toBe(200);
    // The clocks moved on during the logins: the Password window is confirmed again first.
    expect((await call(url, 'POST', '/api/v1/me/reauth', { body: { password: pending.password }, token: pending.token })).status).toBe(200);
    const finish = await call(url, 'POST', '/api/v1/me/two-factor/totp/enable', { body: { code: totpCode(pending.secret, 0, Date.now() + offsetMs) }, token: pending.token });
    expect(finish.status, JSON.stringify(finish.json)).toBe(200);

    // The old key is retired: an instance started with it refuses to start; with the new one it works.
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
    const oldKeyEnv =
      source === 'environment' ? { ...environment.env, TWOFOLD_MASTER_KEY: oldKey.toString('hex') } : environment.env;
    if (source === 'file') writeFileSync(keyFile, `${originalKeyHex}\n`, { mode: 0o600 });
    await expect(startTestServer(oldKeyEnv)).rejects.toThrow(/master key does not match/);
    if (source === 'file') writeFileSync(keyFile, `${currentKey.toString('hex')}\n`, { mode: 0o600 });
    const newKeyEnv = source === 'environment' ? { ...environment.env, TWOFOLD_MASTER_KEY: newKey.toString('hex') } : environment.env;
    servers = [await startTestServer(newKeyEnv, { clockOffsetMs: offsetMs + 30_000 })];
    const again = await call(servers[0]!.url, 'POST', '/api/v1/auth/login', { body: { username: accounts[1]!.username, password: accounts[1]!.password, client: 'mobile' } });
    const code = await call(servers[0]!.url, 'POST', '/api/v1/auth/login/second-factor', {
      body: { challengeId: again.json.challengeId, method: 'totp', code: totpCode(accounts[1]!.secret, 0, Date.now() + offsetMs + 30_000) },
    });
    expect(code.status, JSON.stringify(code.json)).toBe(200);
  }, 240_000);
});
