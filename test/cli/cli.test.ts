import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  bearer,
  body,
  createTestEnvironment,
  createTestClock,
  enableTOTP,
  login,
  loginToken,
  startTestApp,
  type TestApp,
} from '../support/harness.ts';
import { REPO_ROOT, call, startInstance } from '../support/processes.ts';
import { leaveDeviceCredential } from '../../src/flows/login/trusted-devices.ts';

const CLI = path.join(REPO_ROOT, 'bin/twofold.js');

function twofold(env: Record<string, string>, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// The administrator's command line works on the same data as the running service.
// Each command is a fresh Node process compiling TypeScript (about a second, more on a busy
// machine), so these tests get more time than the default.
describe.each(DIALECTS)('twofold CLI (%s)', { timeout: 120_000 }, (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a user with a generated password shown once, and lists it', async () => {
    const created = twofold(t.environment.env, ['user', 'create', '1001', '--email', '1001@example.com', '--display-name', 'Front Desk']);
    expect(created.status).toBe(0);
    const password = /Password \(shown once\): (\S+)/.exec(created.stdout)?.[1];
    expect(password).toBeDefined();
    expect(body(await login(t.app, '1001', password!))).toMatchObject({ status: 'ok', user: { displayName: 'Front Desk', email: '1001@example.com', emailVerified: false } });

    const list = twofold(t.environment.env, ['user', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^1001\tuser\toff\t1001@example.com$/m);
    expect(list.stdout).not.toContain(password!);
  });

  it('reads a chosen password from standard input and refuses a duplicate', async () => {
    const created = twofold(t.environment.env, ['user', 'create', 'Nadia', '--role', 'admin', '--password-stdin'], 'nadia-password-42\n');
    expect(created.status).toBe(0);
    expect(created.stdout).not.toContain('nadia-password-42');
    expect(body(await login(t.app, 'nadia', 'nadia-password-42'))).toMatchObject({ status: 'ok', user: { role: 'admin' } });
    const duplicate = twofold(t.environment.env, ['user', 'create', 'NADIA']);
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toContain('already taken');
  });

  it('turns off two-factor for a user who lost their phone, while the service runs', async () => {
    twofold(t.environment.env, ['user', 'create', '1002', '--password-stdin'], 'lost-phone-password\n');
    const token = await loginToken(t.app, '1002', 'lost-phone-password');
    await enableTOTP(t.app, token, 'lost-phone-password');
    expect(body(await login(t.app, '1002', 'lost-phone-password'))).toMatchObject({ status: 'second_factor_required' });
    expect(twofold(t.environment.env, ['user', 'list']).stdout).toMatch(/^1002\tuser\ton \(totp\)/m);

    const reset = twofold(t.environment.env, ['user', 'disable-2fa', '1002']);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain('now off for "1002"');
    expect(body(await login(t.app, '1002', 'lost-phone-password'))).toMatchObject({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401);

    const audit = twofold(t.environment.env, ['audit', '--limit', '50', '--user', '1002']);
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/two_factor\.admin_reset\tsuccess\t1002\tcli:/);
  });

  it('unlocks a user locked by wrong passwords', async () => {
    twofold(t.environment.env, ['user', 'create', '1003', '--password-stdin'], 'locked-out-password\n');
    for (let i = 0; i < 10; i++) await login(t.app, '1003', 'wrong-password');
    expect((await login(t.app, '1003', 'locked-out-password')).statusCode).toBe(429);
    expect(twofold(t.environment.env, ['user', 'unlock', '1003']).status).toBe(0);
    expect((await login(t.app, '1003', 'locked-out-password')).statusCode).toBe(200);
  });

  it('lists the trusted devices of a user and forgets them all', async () => {
    twofold(t.environment.env, ['user', 'create', '1906', '--password-stdin'], 'device-owner-password\n');
    const deps = t.services.flows;
    const account = (await deps.store.findAccountByUsernameKey('1906'))!;
    const origin = { client: 'desktop' as const, deviceName: 'Front desk PC', ip: '127.0.0.1', userAgent: null };
    await leaveDeviceCredential(deps, deps.store, { account, origin, knownDeviceId: null, trust: true });
    expect(twofold(t.environment.env, ['user', 'devices', '1906']).stdout).toMatch(/Front desk PC\tdesktop\t/);
    const forgot = twofold(t.environment.env, ['user', 'forget-devices', '1906']);
    expect(forgot.status).toBe(0);
    expect(forgot.stdout).toContain('Forgot 1 device(s)');
    expect(await deps.store.listDevices(account.id)).toEqual([]);
    expect(twofold(t.environment.env, ['user', 'devices', '1906']).stdout).toContain('no trusted devices');
  });

  it('edits, disables, enables, resets the password of and deletes an account; keeps the last administrator', async () => {
    const env = t.environment.env;
    twofold(env, ['user', 'create', '1004', '--password-stdin'], 'desk-password-1004\n');
    const edited = twofold(env, ['user', 'edit', '1004', '--display-name', 'Reception', '--email', 'reception@example.com']);
    expect(edited.status).toBe(0);
    expect(edited.stdout).toContain('reception@example.com (unverified)');
    expect(body(await login(t.app, '1004', 'desk-password-1004'))).toMatchObject({ user: { displayName: 'Reception', email: 'reception@example.com', emailVerified: false } });

    const token = await loginToken(t.app, '1004', 'desk-password-1004');
    expect(twofold(env, ['user', 'disable', '1004']).status).toBe(0);
    expect((await login(t.app, '1004', 'desk-password-1004')).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401);
    expect(twofold(env, ['user', 'enable', '1004']).status).toBe(0);
    expect((await login(t.app, '1004', 'desk-password-1004')).statusCode).toBe(200);

    const reset = twofold(env, ['user', 'reset-password', '1004']);
    expect(reset.status).toBe(0);
    const generated = /Password \(shown once\): (\S+)/.exec(reset.stdout)?.[1];
    expect(generated).toBeDefined();
    expect(body(await login(t.app, '1004', generated!))).toMatchObject({ status: 'password_change_required' });

    const deleted = twofold(env, ['user', 'delete', '1004']);
    expect(deleted.status).toBe(0);
    expect(deleted.stdout).toContain('Deleted "1004"');
    expect((await login(t.app, '1004', generated!)).statusCode).toBe(401);

    // Make "admin" the only active administrator, then try to remove it.
    for (const line of twofold(env, ['user', 'list']).stdout.split('\n').slice(1)) {
      const [name, role] = line.split('\t');
      if (role === 'admin' && name !== 'admin') expect(twofold(env, ['user', 'edit', name!, '--role', 'user']).status).toBe(0);
    }
    for (const args of [['user', 'disable', 'admin'], ['user', 'delete', 'admin']]) {
      const refused = twofold(env, args);
      expect(refused.status, args.join(' ')).toBe(1);
      expect(refused.stderr).toContain('The last active administrator cannot be deleted, disabled or demoted.');
    }
    expect(body(await login(t.app, 'admin', ADMIN_PASSWORD))).toMatchObject({ status: 'ok', user: { role: 'admin', disabled: false } });
  }, 240_000);

  it('answers mistakes with a message and a non-zero exit, changing nothing', async () => {
    const before = twofold(t.environment.env, ['user', 'list']).stdout;
    const unknown = twofold(t.environment.env, ['user', 'disable-2fa', 'nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No account named "nobody"');
    const usage = twofold(t.environment.env, ['user', 'frobnicate', 'x']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage: twofold');
    expect(twofold(t.environment.env, ['user', 'create']).status).toBe(2);
    expect(twofold(t.environment.env, ['user', 'create', 'x1', '--role', 'root']).status).toBe(2);
    expect(twofold(t.environment.env, ['user', 'create', 'x2', '--bogus']).status).toBe(2);
    const weak = twofold(t.environment.env, ['user', 'create', 'x3', '--password-stdin'], 'short\n');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toContain('at least 8 characters');
    const badConfig = twofold({ ...t.environment.env, TWOFOLD_PORT: 'eighty' }, ['user', 'list']);
    expect(badConfig.status).toBe(1);
    expect(badConfig.stderr).toContain('Configuration error: TWOFOLD_PORT must be a whole number');
    expect(twofold(t.environment.env, ['user', 'list']).stdout).toBe(before);
  });
});

describe('first start', { timeout: 120_000 }, () => {
  it('creates admin with a generated password printed once, and never again', async () => {
    const environment = createTestEnvironment('sqlite');
    const { TWOFOLD_ADMIN_PASSWORD: _unused, ...env } = environment.env;
    try {
      const first = await startInstance(env);
      const password = /shown only this once: (\S+)/.exec(first.output())?.[1];
      expect(password).toBeDefined();
      const response = await call(first.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password, client: 'desktop' } });
      expect(response.status).toBe(200);
      // The password went to the terminal, not into any JSON log line.
      expect(first.output().split('\n').filter((line) => line.startsWith('{') && line.includes(password!))).toEqual([]);
      await first.stop();
      const second = await startInstance(env);
      expect(second.output()).not.toContain('shown only this once');
      await second.stop();
    } finally {
      await environment.dropDatabase();
    }
  });

  it('refuses to work on a folder without a database instead of creating one there', () => {
    const dataDir = path.join(REPO_ROOT, 'test-output', `no-database-${process.pid}`);
    const result = twofold({ TWOFOLD_DATA_DIR: dataDir }, ['user', 'list']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`No database at ${dataDir}/twofold.sqlite`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('keeps the database file to its owner', async () => {
    const environment = createTestEnvironment('sqlite');
    try {
      const instance = await startInstance(environment.env);
      await instance.stop();
      expect(statSync(path.join(environment.dataDir, 'twofold.sqlite')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(environment.dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    } finally {
      await environment.dropDatabase();
    }
  });

  it('refuses to start on a bad setting, naming it', () => {
    const result = twofold({ TWOFOLD_ISSUER: '', TWOFOLD_DATA_DIR: '/tmp/never-created' }, ['serve']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Configuration error: TWOFOLD_ISSUER must be 1 to 64 characters');
  });
});
