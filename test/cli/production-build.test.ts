import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createTestEnvironment, totpCode } from '../support/harness.ts';
import { REPO_ROOT, call, startInstance } from '../support/processes.ts';
import { loadFixture, readManifest } from '../support/release-276272a.ts';

const RECORDER = path.join(REPO_ROOT, 'test/support/module-recorder.mjs');
// Development tools the running service must never need (the production path has no devDependencies).
const DEV_TOOL = /\/node_modules\/(?:tsx|vite|esbuild|@esbuild|rolldown|@rolldown|typescript)\//;
const TYPESCRIPT_SOURCE = /\.[cm]?tsx?$/;
// Starting with the module recorder preloaded is slow on the shared 2-core CI machine.
const START_TIMEOUT_MS = 90_000;

function loadedModules(logFile: string): string[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(4));
}

const cleanups: string[] = [];
afterAll(() => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(dir);
  return dir;
}

describe('the production build', { timeout: 240_000 }, () => {
  it('serves from compiled JavaScript: no .ts file and no module of tsx, vite, esbuild, rolldown or typescript', async () => {
    const environment = createTestEnvironment('sqlite');
    const log = path.join(scratch('twofold-modules-'), 'serve.log');
    const instance = await startInstance({ ...environment.env, TWOFOLD_MODULE_LOG: log, NODE_OPTIONS: `--import ${RECORDER}` }, START_TIMEOUT_MS);
    try {
      // Touch the lazily loaded paths too: a login (argon2, flows), the web client, an error.
      expect((await call(instance.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } })).status).toBe(200);
      expect((await fetch(`${instance.url}/`, { headers: { accept: 'text/html' } })).status).toBe(200);
      expect((await call(instance.url, 'GET', '/api/v1/nothing')).status).toBe(404);
    } finally {
      expect(await instance.stop()).toBe(0);
      await environment.dropDatabase();
    }
    const modules = loadedModules(log);
    // The recorder sees both kinds of module, so an empty list cannot pass for a clean one.
    expect(modules.some((m) => m.endsWith('/dist/server.js'))).toBe(true);
    expect(modules.some((m) => m.includes('/node_modules/fastify/'))).toBe(true);
    expect(modules.filter((m) => TYPESCRIPT_SOURCE.test(m))).toEqual([]);
    expect(modules.filter((m) => DEV_TOOL.test(m))).toEqual([]);
  });

  it('upgrades a database of release 276272a from compiled code (migrations, the re-sealing step) and logs its TOTP user in', async () => {
    const manifest = readManifest('sqlite');
    const alice = manifest.users.alice!;
    const environment = await loadFixture('sqlite', manifest);
    const log = path.join(scratch('twofold-modules-'), 'upgrade.log');
    const instance = await startInstance({ ...environment.env, TWOFOLD_MODULE_LOG: log, NODE_OPTIONS: `--import ${RECORDER}` }, START_TIMEOUT_MS);
    try {
      const first = await call(instance.url, 'POST', '/api/v1/auth/login', { body: { username: 'alice', password: alice.password, client: 'desktop' } });
      expect(first.json).toMatchObject({ status: 'second_factor_required', methods: ['totp', 'recovery_code'] });
      const second = await call(instance.url, 'POST', '/api/v1/auth/login/second-factor', {
        body: { challengeId: first.json.challengeId, method: 'totp', code: totpCode(alice.secret!) },
      });
      expect(second.status, JSON.stringify(second.json)).toBe(200);
      const me = await call(instance.url, 'GET', '/api/v1/me', { token: String(second.json.token) });
      expect(me.json).toMatchObject({ twoFactor: { enabled: true, method: 'totp', authenticators: 1 }, session: { amr: ['pwd', 'otp', 'mfa'] } });
    } finally {
      expect(await instance.stop()).toBe(0);
      await environment.dropDatabase();
    }
    const modules = loadedModules(log);
    for (const compiled of ['/dist/store/upgrades/reseal-authenticator-secrets.js', '/dist/store/migrations/005-authenticators.js', '/dist/store/migrations/006-audit-indexes.js', '/dist/flows/factors/totp/index.js']) {
      expect(modules.some((m) => m.endsWith(compiled)), compiled).toBe(true);
    }
    expect(modules.filter((m) => TYPESCRIPT_SOURCE.test(m) || DEV_TOOL.test(m))).toEqual([]);
  });

  it('loads only what a command needs: `user list` does not load Fastify', async () => {
    const environment = createTestEnvironment('sqlite');
    try {
      // The service creates the database; the CLI then works on it.
      const instance = await startInstance(environment.env, START_TIMEOUT_MS);
      await instance.stop();
      const log = path.join(scratch('twofold-modules-'), 'cli.log');
      const result = spawnSync(process.execPath, ['--import', RECORDER, path.join(REPO_ROOT, 'bin/twofold.js'), 'user', 'list'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...environment.env, TWOFOLD_MODULE_LOG: log },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^admin\tadmin\toff/m);
      const modules = loadedModules(log);
      expect(modules.some((m) => m.includes('/node_modules/better-sqlite3/'))).toBe(true);
      expect(modules.filter((m) => /\/node_modules\/(?:fastify|@fastify)\//.test(m) || m.includes('/dist/http/'))).toEqual([]);
      expect(modules.filter((m) => TYPESCRIPT_SOURCE.test(m) || DEV_TOOL.test(m))).toEqual([]);
    } finally {
      await environment.dropDatabase();
    }
  });

  it('`npm start` on a fresh checkout builds once; a second start with nothing changed builds nothing', async () => {
    // A fresh checkout: the tracked sources, no dist/ and no web/dist/; node_modules as `npm ci` left it.
    const checkout = scratch('twofold-checkout-');
    for (const entry of ['src', 'web', 'bin', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(path.join(REPO_ROOT, entry), path.join(checkout, entry), { recursive: true, filter: (source) => !source.startsWith(path.join(REPO_ROOT, 'web/dist')) });
    }
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
    expect(existsSync(path.join(checkout, 'dist'))).toBe(false);
    const environment = createTestEnvironment('sqlite');

    async function npmStart(): Promise<string> {
      const child = spawn('npm', ['start'], {
        cwd: checkout,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...environment.env, TWOFOLD_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /"url":"(http:\/\/[^"]+)".*"msg":"Twofold is listening"/.exec(output);
          if (match?.[1]) resolve(match[1]);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then(() => reject(new Error(`npm start exited before listening:\n${output}`)));
      });
      expect((await call(url, 'GET', '/healthz')).status).toBe(200);
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      return output;
    }

    try {
      const first = await npmStart();
      expect(first).toContain('Building the service');
      expect(first).toContain('Building the web client');
      const stamps = ['dist/.build-fingerprint', 'web/dist/.build-fingerprint', 'dist/cli/main.js', 'web/dist/index.html'].map((f) => path.join(checkout, f));
      const before = stamps.map((file) => statSync(file).mtimeMs);

      const second = await npmStart();
      expect(second).not.toContain('Building');
      expect(stamps.map((file) => statSync(file).mtimeMs)).toEqual(before);
    } finally {
      await environment.dropDatabase();
    }
  });
});
