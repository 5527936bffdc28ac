import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import {
  DIALECTS,
  POSTGRES_URL,
  body,
  createTestClock,
  createTestEnvironment,
  loginWithCode,
  post,
  startTestApp,
  totpCode,
  type Dialect,
  type TestApp,
  type TestEnvironment,
} from '../support/harness.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { PUBLIC_URL, WEBAUTHN_ENV, registerKey } from '../support/webauthn.ts';

// Migration 009 (passkeys) on the newest committed database of an earlier release (276272a,
// upgraded through 005 on the way): it only adds columns and a table, so every user must log in
// as before, and an upgraded account can add a key and log in with it, on both dialects.
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/release-276272a');

interface Manifest {
  masterKey: string;
  users: Record<string, { password: string; secret?: string; lastUsedAt?: number; recoveryCodes?: string[] }>;
}

async function loadFixture(dialect: Dialect, manifest: Manifest): Promise<TestEnvironment> {
  const environment = createTestEnvironment(dialect, { TWOFOLD_MASTER_KEY: manifest.masterKey, ...WEBAUTHN_ENV });
  if (dialect === 'sqlite') {
    mkdirSync(environment.dataDir, { recursive: true });
    copyFileSync(path.join(FIXTURES, 'twofold.sqlite'), path.join(environment.dataDir, 'twofold.sqlite'));
    return environment;
  }
  const dump = readFileSync(path.join(FIXTURES, 'postgres.sql'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n')
    .replaceAll('fixture_276272a', environment.env.TWOFOLD_DATABASE_SCHEMA!);
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(dump);
  } finally {
    await client.end();
  }
  return environment;
}

describe.each(DIALECTS)('migration 009 on an earlier release database (%s)', (dialect) => {
  const manifest = JSON.parse(readFileSync(path.join(FIXTURES, `manifest-${dialect}.json`), 'utf8')) as Manifest;
  const alice = manifest.users.alice!;
  // One step after the one alice used last, so her next code is fresh.
  const clock = createTestClock(alice.lastUsedAt! + 35_000);
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(await loadFixture(dialect, manifest), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves every authenticator as it was: no row gains a credential, and alice logs in with her app', async () => {
    const rows = await t.services.database.db.selectFrom('authenticators').selectAll().execute();
    expect(rows.length).toBe(3);
    for (const row of rows) expect([row.credential_id, row.sign_count, row.transports, row.attachment]).toEqual([null, null, null, null]);
    expect(await t.services.database.db.selectFrom('webauthn_challenges').selectAll().execute()).toEqual([]);
    const ok = await loginWithCode(t.app, 'alice', alice.password, totpCode(alice.secret!, 0, clock()));
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('lets an upgraded account add a passkey and log in with it', async () => {
    clock.advance(30_000);
    const first = await loginWithCode(t.app, 'alice', alice.password, totpCode(alice.secret!, 0, clock()));
    const token = body<{ token: string }>(first).token;
    clock.advance(30_000);
    const key = new SoftwareAuthenticator({ origin: PUBLIC_URL });
    const added = await registerKey(t.app, token, key, { password: alice.password, secondFactor: { code: totpCode(alice.secret!, 0, clock()) } });
    expect(added.response.statusCode, added.response.body).toBe(200);

    const options = await post(t.app, '/api/v1/auth/login/passkey/options', {});
    const { passkeyChallengeId, ...request } = body<PublicKeyCredentialRequestOptionsJSON & { passkeyChallengeId: string }>(options);
    const login = await post(t.app, '/api/v1/auth/login/passkey', { passkeyChallengeId, response: key.authenticate(request), client: 'desktop' });
    expect(login.statusCode, login.body).toBe(200);
  });
});
