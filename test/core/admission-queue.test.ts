import { describe, expect, it } from 'vitest';
import { createAdmissionQueue } from '../../src/core/admission-queue.ts';
import { isDomainError } from '../../src/core/errors.ts';
import type { PasswordHasher } from '../../src/ports.ts';

/** A hasher whose checks finish when the test says: the order they ran in is recorded. */
function gatedHasher(): { hasher: PasswordHasher; started: string[]; finishNext(): void } {
  const started: string[] = [];
  const waiting: Array<() => void> = [];
  const run = (label: string) =>
    new Promise<boolean>((resolve) => {
      started.push(label);
      waiting.push(() => resolve(label.endsWith('ok')));
    });
  return {
    hasher: { hash: async (p) => `hash:${p}`, verify: (_h, password) => run(password), verifyDummy: async (password) => (await run(password), false) },
    started,
    finishNext: () => waiting.shift()?.(),
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the admission queue in front of the password hasher', () => {
  it('runs at most `concurrency` hashes, and admits every waiting known-device check before any unknown one', async () => {
    const gate = gatedHasher();
    const queue = createAdmissionQueue(gate.hasher, { concurrency: 1, maxQueuedUnknown: 10 });
    const results = [
      queue.verify('h', 'u1', { priority: 'unknown' }),
      queue.verify('h', 'u2', { priority: 'unknown' }),
      queue.verify('h', 'u3', { priority: 'unknown' }),
      queue.verify('h', 'k1-ok', { priority: 'known' }),
      queue.verify('h', 'k2-ok', { priority: 'known' }),
    ];
    await tick();
    expect(gate.started).toEqual(['u1']);
    expect(queue.stats()).toMatchObject({ running: 1, queuedKnown: 2, queuedUnknown: 2 });
    for (let i = 0; i < 5; i++) {
      gate.finishNext();
      await tick();
    }
    expect(gate.started).toEqual(['u1', 'k1-ok', 'k2-ok', 'u2', 'u3']);
    expect(await Promise.all(results)).toEqual([false, false, false, true, true]);
  });

  it('refuses an unknown-device check at once (service_unavailable, Retry-After) when its lane is full, without a hash; a known one starts at once in the slot kept for it', async () => {
    const gate = gatedHasher();
    const queue = createAdmissionQueue(gate.hasher, { concurrency: 2, maxQueuedUnknown: 3 });
    // Of two slots one is kept for known devices: u0 runs, u1-u3 wait, the lane is then full.
    const admitted = Array.from({ length: 4 }, (_, i) => queue.verify('h', `u${i}`, { priority: 'unknown' }));
    await tick();
    expect(queue.stats()).toMatchObject({ running: 1, queuedUnknown: 3 });
    const refused = await queue.verify('h', 'u-extra', { priority: 'unknown' }).catch((error: unknown) => error);
    expect(isDomainError(refused) && refused.code).toBe('service_unavailable');
    expect(isDomainError(refused) && refused.retryAfterSeconds).toBe(1);
    // Unknown usernames take the unknown lane by default, and are refused the same way.
    expect(await queue.verifyDummy('u-dummy').catch((error: unknown) => isDomainError(error) && error.code)).toBe('service_unavailable');
    // The known-device login does not wait for any unknown hash: it runs beside u0 at once.
    const known = queue.verify('h', 'k-ok', { priority: 'known' });
    await tick();
    expect(queue.stats()).toMatchObject({ running: 2, queuedUnknown: 3, queuedKnown: 0, refused: 2 });
    expect(gate.started).toEqual(['u0', 'k-ok']);
    for (let i = 0; i < 5; i++) {
      gate.finishNext();
      await tick();
    }
    expect(gate.started).not.toContain('u-extra');
    expect(gate.started).toEqual(['u0', 'k-ok', 'u1', 'u2', 'u3']);
    expect(await known).toBe(true);
    await Promise.all(admitted);
  });

  it('lets unknown devices use every slot but one, and all of them when alone on one core', async () => {
    const gate = gatedHasher();
    const wide = createAdmissionQueue(gate.hasher, { concurrency: 4, maxQueuedUnknown: 10 });
    for (let i = 0; i < 5; i++) void wide.verify('h', `u${i}`, { priority: 'unknown' });
    await tick();
    expect(wide.stats()).toMatchObject({ running: 3, queuedUnknown: 2 });
    const single = createAdmissionQueue(gatedHasher().hasher, { concurrency: 1, maxQueuedUnknown: 10 });
    void single.verify('h', 'u', { priority: 'unknown' });
    await tick();
    expect(single.stats()).toMatchObject({ running: 1, queuedUnknown: 0 });
  });

  it("lets one account only its share of the known lane: its own device tokens cannot crowd out another account's known device", async () => {
    const gate = gatedHasher();
    const queue = createAdmissionQueue(gate.hasher, { concurrency: 1, maxQueuedUnknown: 10, maxKnownPerAccount: 2 });
    const results = [queue.verify('h', 'busy', { priority: 'unknown' })];
    // An insider floods with five of their own known-device checks, then the victim's known device logs in.
    for (let i = 1; i <= 5; i++) results.push(queue.verify('h', `flood${i}`, { priority: 'known', account: 'insider' }));
    results.push(queue.verify('h', 'victim-ok', { priority: 'known', account: 'victim' }));
    await tick();
    expect(queue.stats()).toMatchObject({ running: 1, queuedKnown: 3, queuedUnknown: 3 });
    for (let i = 0; i < 7; i++) {
      gate.finishNext();
      await tick();
    }
    // The insider's first two went ahead as known; the other three waited behind the victim, as unknown ones do.
    expect(gate.started).toEqual(['busy', 'flood1', 'flood2', 'victim-ok', 'flood3', 'flood4', 'flood5']);
    expect(await Promise.all(results)).toEqual([false, false, false, false, false, false, true]);
    // Shares are given back: the insider's next known check is known again.
    void queue.verify('h', 'later', { priority: 'known', account: 'insider' });
    await tick();
    expect(queue.stats()).toMatchObject({ running: 1, queuedKnown: 0 });
  });

  it('gives the slot back when a hash throws', async () => {
    const failing: PasswordHasher = { hash: async () => 'x', verify: async () => Promise.reject(new Error('boom')), verifyDummy: async () => false };
    const queue = createAdmissionQueue(failing, { concurrency: 1, maxQueuedUnknown: 0 });
    await expect(queue.verify('h', 'p', { priority: 'unknown' })).rejects.toThrow('boom');
    expect(queue.stats().running).toBe(0);
    expect(await queue.verifyDummy('p', { priority: 'unknown' })).toBe(false);
  });
});
