import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import type { Store } from '../../src/store/store.ts';
import { DIALECTS, createTestEnvironment, type TestEnvironment } from '../support/harness.ts';

// The Store contract, run against each dialect: every once-only rule is a guarded statement,
// so concurrent callers get exactly one winner, whatever the database.
describe.each(DIALECTS)('store contract (%s)', (dialect) => {
  let environment: TestEnvironment;
  let handle: DatabaseHandle;
  let store: Store;
  beforeAll(async () => {
    environment = createTestEnvironment(dialect);
    handle = await createDatabase(environment.config);
    store = handle.store;
  });
  afterAll(async () => {
    await handle.close();
    await environment.dropDatabase();
  });

  async function account(): Promise<string> {
    const id = randomUUID();
    const name = `user-${id.slice(0, 8)}`;
    expect(
      await store.createAccount({ id, username: name, usernameKey: name, displayName: name, email: null, emailVerified: false, role: 'user', passwordHash: 'x', createdAt: 1 }),
    ).toBe(true);
    return id;
  }

  it('refuses a second account with the same username key, writing nothing', async () => {
    const id = await account();
    const existing = await store.findAccountById(id);
    const again = await store.createAccount({
      id: randomUUID(),
      username: existing!.username.toUpperCase(),
      usernameKey: existing!.username,
      displayName: 'other',
      email: null,
      emailVerified: false,
      role: 'admin',
      passwordHash: 'y',
      createdAt: 2,
    });
    expect(again).toBe(false);
    expect((await store.listAccounts()).filter((a) => a.username.toLowerCase() === existing!.username)).toHaveLength(1);
  });

  it('advances a TOTP step for exactly one of many concurrent callers, and never backwards, per authenticator', async () => {
    const userId = await account();
    const app = (id: string) => ({ id, userId, type: 'totp' as const, name: id, sealedSecret: 'sealed', lastUsedStep: 100, clockOffsetSeconds: 0, createdAt: 1 });
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await store.addAuthenticator(app(a))).toBe(true);
    expect(await store.addAuthenticator(app(b))).toBe(true);
    const use = { now: 5, clockOffsetSeconds: -30 };
    const wins = await Promise.all(Array.from({ length: 25 }, () => store.advanceAuthenticatorStep(a, 101, use)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await store.advanceAuthenticatorStep(a, 100, use)).toBe(false);
    expect(await store.advanceAuthenticatorStep(a, 101, use)).toBe(false);
    // The other app keeps its own replay state (RFC 6238 §5.2 per credential).
    expect(await store.advanceAuthenticatorStep(b, 101, use)).toBe(true);
    expect(await store.advanceAuthenticatorStep(a, 102, use)).toBe(true);
    expect(await store.findAuthenticator(userId, a)).toMatchObject({ lastUsedStep: 102, lastUsedAt: 5, clockOffsetSeconds: -30 });
    expect((await store.findAccountById(userId))?.authenticatorCount).toBe(2);
    expect((await store.findAccountById(userId))?.twoFactorMethod).toBe('totp');
  });

  it('holds one email method per account in the database', async () => {
    const userId = await account();
    const email = () => ({ id: randomUUID(), userId, type: 'email' as const, name: 'Email', sealedSecret: null, lastUsedStep: null, clockOffsetSeconds: null, createdAt: 1 });
    const added = await Promise.all(Array.from({ length: 5 }, () => store.addAuthenticator(email())));
    expect(added.filter(Boolean)).toHaveLength(1);
    expect(await store.countAuthenticators(userId, 'email')).toBe(1);
  });

  it('consumes a login challenge once, and spends at most the allowed attempts under a burst', async () => {
    const userId = await account();
    const idHash = randomUUID();
    await store.createLoginChallenge({ idHash, userId, accountEpoch: 0, client: 'web', deviceName: null, ip: '::1', userAgent: null, createdAt: 1, expiresAt: Date.now() + 60_000 });
    const spent = await Promise.all(Array.from({ length: 20 }, () => store.spendChallengeAttempt(idHash, Date.now(), 5)));
    expect(spent.filter(Boolean)).toHaveLength(5);
    const consumed = await Promise.all(Array.from({ length: 10 }, () => store.consumeLoginChallenge(idHash, Date.now())));
    expect(consumed.filter(Boolean)).toHaveLength(1);
  });

  it('never reserves more attempt slots than the limit, and locks once', async () => {
    const key = `test:${randomUUID()}`;
    const now = Date.now();
    const reserved = await Promise.all(Array.from({ length: 40 }, () => store.reserveAttempt(key, now, 10, 60_000)));
    expect(reserved.filter(Boolean)).toHaveLength(10);
    expect(await store.findAttemptCounter(key)).toMatchObject({ pending: 10, failures: 0 });
    // All ten checks fail: each settles its slot as a failure.
    await Promise.all(Array.from({ length: 10 }, () => store.recordAttemptFailure(key, now, true)));
    expect(await store.findAttemptCounter(key)).toMatchObject({ pending: 0, failures: 10 });
    const locks = await Promise.all(
      Array.from({ length: 10 }, () => store.lockAttemptCounter(key, now, { until: now + 1000, seen: 0, level: 1, limit: 10 })),
    );
    expect(locks.filter(Boolean)).toHaveLength(1);
    expect(await store.reserveAttempt(key, now + 10, 10, 60_000)).toBe(false);
    // After the lock ends and the window has passed, the key starts afresh.
    expect(await store.reserveAttempt(key, now + 61_000, 10, 60_000)).toBe(true);
    await store.releaseAttempt(key);
    expect(await store.findAttemptCounter(key)).toMatchObject({ pending: 0, failures: 0 });
  });

  it('keeps checks in flight across a window restart, so a burst at the boundary gains nothing', async () => {
    const key = `test:${randomUUID()}`;
    const now = Date.now();
    for (let i = 0; i < 6; i++) expect(await store.reserveAttempt(key, now, 10, 30_000)).toBe(true);
    await Promise.all(Array.from({ length: 4 }, () => store.recordAttemptFailure(key, now, true)));
    // The window ends while two checks are still in flight: failures reset, the two slots stay taken.
    const later = now + 30_001;
    const reserved = await Promise.all(Array.from({ length: 20 }, () => store.reserveAttempt(key, later, 10, 30_000)));
    expect(reserved.filter(Boolean)).toHaveLength(8);
    expect(await store.findAttemptCounter(key)).toMatchObject({ pending: 10, failures: 0 });
  });

  it('gives back the slots of checks that never finished (a killed instance) after a minute', async () => {
    const key = `test:${randomUUID()}`;
    const now = Date.now();
    for (let i = 0; i < 10; i++) expect(await store.reserveAttempt(key, now, 10, 15 * 60_000)).toBe(true);
    expect(await store.reserveAttempt(key, now + 59_000, 10, 15 * 60_000)).toBe(false);
    // Nobody settled them: a minute after the last one was taken they are presumed lost.
    expect(await store.reserveAttempt(key, now + 60_000, 10, 15 * 60_000)).toBe(true);
    expect(await store.findAttemptCounter(key)).toMatchObject({ pending: 1, failures: 0 });
  });

  it('lets an unreserved limit refuse only once failures fill it', async () => {
    const key = `test:${randomUUID()}`;
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      expect(await store.isAttemptAllowed(key, now, 3, 60_000)).toBe(true);
      await store.recordAttemptFailure(key, now, false);
    }
    expect(await store.isAttemptAllowed(key, now, 3, 60_000)).toBe(false);
    expect(await store.isAttemptAllowed(key, now + 60_001, 3, 60_000)).toBe(true);
  });

  it('uses a recovery code once, even when it is presented concurrently', async () => {
    const userId = await account();
    await store.replaceRecoveryCodes(userId, ['h1', 'h2'], 1);
    const uses = await Promise.all(Array.from({ length: 10 }, () => store.useRecoveryCode(userId, 'h1', 2)));
    expect(uses.filter(Boolean)).toHaveLength(1);
    expect(await store.countUnusedRecoveryCodes(userId)).toBe(1);
  });

  it('takes a pending secret only if it is still the one that was shown', async () => {
    const userId = await account();
    await store.savePendingTOTPSecret(userId, { sealedSecret: 'first', name: 'Phone' }, 1, Date.now() + 60_000);
    await store.savePendingTOTPSecret(userId, { sealedSecret: 'second', name: 'Tablet' }, 2, Date.now() + 60_000);
    expect(await store.takePendingTOTPSecret(userId, 'first')).toBe(false);
    expect(await store.takePendingTOTPSecret(userId, 'second')).toBe(true);
    expect(await store.findPendingTOTPSecret(userId, Date.now())).toBeNull();
  });

  it('rolls a transaction back whole when it fails', async () => {
    const userId = await account();
    await expect(
      store.transaction(async (tx) => {
        await tx.addAuthenticator({ id: randomUUID(), userId, type: 'totp', name: 'x', sealedSecret: 's', lastUsedStep: 1, clockOffsetSeconds: 0, createdAt: 5 });
        await tx.replaceRecoveryCodes(userId, ['a', 'b'], 5);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.findAccountById(userId))?.twoFactorMethod).toBeNull();
    expect(await store.countUnusedRecoveryCodes(userId)).toBe(0);
  });

  it('keeps one live email code per key: a new one replaces the old', async () => {
    const userId = await account();
    const base = { key: `k-${userId}`, userId, purpose: 'login', address: 'a@example.com', createdAt: 1, expiresAt: Date.now() + 60_000, attempts: 0, consumedAt: null };
    await store.saveEmailCode({ ...base, codeHash: 'old' });
    await store.saveEmailCode({ ...base, codeHash: 'new' });
    expect(await store.consumeEmailCode(base.key, 'old', Date.now())).toBe(false);
    expect(await store.consumeEmailCode(base.key, 'new', Date.now())).toBe(true);
    expect(await store.consumeEmailCode(base.key, 'new', Date.now())).toBe(false);
  });
});
