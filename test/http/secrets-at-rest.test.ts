import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createServices } from '../../src/runtime/services.ts';
import { DIALECTS, body, createTestEnvironment, createUser, loginToken, post, startTestApp, totpCode, type TestApp, createTestClock } from '../support/harness.ts';
import { answerChallenge, dumpPostgres, enrollTOTP, startChallenge } from '../support/security.ts';

// A stolen database (file, WAL or dump) must not give away an authenticator secret or a usable
// token: secrets are sealed with the master key, tokens kept only as hashes.
describe.each(DIALECTS)('secrets at rest (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Everything stored: the SQLite file and its WAL as raw bytes, or every PostgreSQL row as text. */
  async function storedBytes(): Promise<Buffer> {
    if (dialect === 'postgres') return Buffer.from(await dumpPostgres(t), 'utf8');
    const file = path.join(t.environment.dataDir, 'twofold.sqlite');
    const parts = [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
    expect(parts.length).toBe(2);
    return Buffer.concat(parts);
  }

  function forms(secret: string): { label: string; bytes: Buffer }[] {
    const raw = Buffer.from(OTPAuth.Secret.fromBase32(secret).bytes);
    expect(raw).toHaveLength(20);
    return [
      { label: 'base32', bytes: Buffer.from(secret) },
      { label: 'base32 lower case', bytes: Buffer.from(secret.toLowerCase()) },
      { label: 'hex', bytes: Buffer.from(raw.toString('hex')) },
      { label: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
      { label: 'base64', bytes: Buffer.from(raw.toString('base64').replace(/=+$/, '')) },
      { label: 'raw bytes', bytes: raw },
    ];
  }

  it('keeps the TOTP secret, pending or confirmed, out of every stored byte', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);

    // Pending: stored (sealed) until confirmed.
    expect((await post(t.app, '/api/v1/me/reauth', { password: user.password }, token)).statusCode).toBe(200);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, token);
    const pending = body<{ secret: string }>(setup).secret;
    const pendingRows = await t.services.database.db.selectFrom('pending_totp_secrets').selectAll().execute();
    expect(pendingRows).toHaveLength(1);
    let stored = await storedBytes();
    for (const form of forms(pending)) expect(stored.includes(form.bytes), `pending secret as ${form.label}`).toBe(false);

    // Confirmed, and used once at login (so the row has been rewritten too).
    const { secret, recoveryCodes } = await enrollTOTP(t.app, token, user.password);
    const login = await answerChallenge(t.app, await startChallenge(t.app, user.username, user.password), totpCode(secret, 0, clock()));
    expect(login.statusCode).toBe(200);
    const credential = await t.services.database.db.selectFrom('authenticators').selectAll().where('type', '=', 'totp').executeTakeFirstOrThrow();
    expect(credential.sealed_secret).toMatch(/^v2\.[0-9a-f]{16}\./);
    // Bound to the authenticator's own id: it opens with that associated data and no other.
    expect(t.services.flows.secretBox.open(credential.sealed_secret!, `authenticator:${credential.id}`)).toBe(secret);
    expect(t.services.flows.secretBox.open(credential.sealed_secret!, `totp:${credential.user_id}`)).toBeNull();

    stored = await storedBytes();
    for (const s of [secret, pending]) {
      for (const form of forms(s)) expect(stored.includes(form.bytes), `secret as ${form.label}`).toBe(false);
    }
    for (const code of recoveryCodes) {
      expect(stored.includes(Buffer.from(code)), 'recovery code').toBe(false);
      expect(stored.includes(Buffer.from(code.replace('-', ''))), 'recovery code without dash').toBe(false);
    }
  });

  it('stores tokens and challenge ids only as hashes', async () => {
    const user = await createUser(t.app);
    const token = await loginToken(t.app, user.username, user.password);
    const { secret } = await enrollTOTP(t.app, token, user.password);
    const challengeId = await startChallenge(t.app, user.username, user.password);
    const second = await answerChallenge(t.app, challengeId, totpCode(secret, 0, clock()));
    const token2 = body<{ token: string }>(second).token;

    const columns = Object.keys(await t.services.database.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow());
    expect(columns).toContain('token_hash');
    expect(columns.filter((c) => /token/.test(c))).toEqual(['token_hash']);

    const stored = await storedBytes();
    for (const value of [token, token2, challengeId]) {
      expect(stored.includes(Buffer.from(value)), 'plain value').toBe(false);
      // The SHA-256 is what is kept (this proves the search above looks in the right place).
      expect(stored.includes(Buffer.from(createHash('sha256').update(value).digest('hex')))).toBe(true);
    }
    expect(stored.includes(Buffer.from(user.password))).toBe(false);
  });

  it('creates master.key with mode 0600 when no TWOFOLD_MASTER_KEY is set', () => {
    const file = path.join(t.environment.dataDir, 'master.key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(t.services.masterKeySource).not.toBe('environment');
  });

  it('refuses to start with a different master key on the same database', async () => {
    const wrongKey = randomBytes(32).toString('hex');
    const config = loadConfig({ ...t.environment.env, TWOFOLD_MASTER_KEY: wrongKey });
    await expect(createServices(config)).rejects.toThrow(/master key does not match/i);
    // The running instance is unaffected and its users still log in.
    const user = await createUser(t.app);
    expect(await loginToken(t.app, user.username, user.password)).toBeTruthy();
    // The right key, given through the environment, is accepted.
    const rightKey = readFileSync(path.join(t.environment.dataDir, 'master.key'), 'utf8').trim();
    const again = await createServices(loadConfig({ ...t.environment.env, TWOFOLD_MASTER_KEY: rightKey }));
    expect(again.masterKeySource).toBe('environment');
    await again.close();
  });
});
