import { DomainError } from './errors.ts';
import type { PasswordHasher, PasswordPriority } from '../ports.ts';

export interface AdmissionOptions {
  /** Hashes run at once; more than the cores only adds memory and latency (Argon2id is CPU-bound). */
  concurrency: number;
  /**
   * Unknown-device checks allowed to wait. One more is refused at once, without a hash: a
   * password spray from many addresses then costs the service a queue check per guess, not a
   * hash, and the queue ahead of a known device's login never grows past this.
   */
  maxQueuedUnknown: number;
  /**
   * Known-device checks of one account allowed in the known lane at once (running or waiting);
   * further ones wait in the unknown lane. Anyone with an account can mint device credentials
   * (each completed login leaves one), so without this one account's own tokens could fill the
   * known lane and starve every other account's known devices.
   */
  maxKnownPerAccount?: number;
}

export interface AdmissionStats {
  running: number;
  queuedKnown: number;
  queuedUnknown: number;
  refused: number;
}

/** A password hasher whose checks pass through the admission queue, and the queue's counters. */
export type AdmittingPasswordHasher = PasswordHasher & { stats(): AdmissionStats };

const BUSY = 'The service is busy. Try again in a moment.';

/**
 * Password checks pass one gate before the Argon2id hasher, with two lanes: a login from a known
 * device (a valid device credential of that account) always goes ahead of every unknown-device
 * one, and the unknown lane is bounded. Per-process by nature (it rations this process's CPU),
 * unlike the attempt limits, which are rows in the database and hold across instances.
 */
export function createAdmissionQueue(hasher: PasswordHasher, options: AdmissionOptions): AdmittingPasswordHasher {
  if (!(options.concurrency >= 1) || !(options.maxQueuedUnknown >= 0)) throw new TypeError('admission queue needs concurrency >= 1 and maxQueuedUnknown >= 0');
  const known: Array<() => void> = [];
  const unknown: Array<() => void> = [];
  const knownPerAccount = new Map<string, number>();
  const maxKnownPerAccount = options.maxKnownPerAccount ?? 2;
  let running = 0;
  let runningUnknown = 0;
  let refused = 0;
  // With more than one hash at once, one slot is kept for known devices: a known login then never
  // waits for an unknown-device hash to finish (hashes cannot be interrupted), however long a
  // spray's queue is. The price is that unknown devices alone use one core fewer.
  const unknownSlots = Math.max(1, options.concurrency - 1);
  const canStart = (lane: PasswordPriority): boolean => running < options.concurrency && (lane === 'known' || runningUnknown < unknownSlots);
  const take = (lane: PasswordPriority): void => {
    running += 1;
    if (lane === 'unknown') runningUnknown += 1;
  };

  const next = (): void => {
    for (;;) {
      const lane: PasswordPriority | null = known.length > 0 && canStart('known') ? 'known' : unknown.length > 0 && canStart('unknown') ? 'unknown' : null;
      if (lane === null) return;
      take(lane);
      (lane === 'known' ? known : unknown).shift()!();
    }
  };

  const admit = async <T>(asked: PasswordPriority, work: () => Promise<T>, account?: string): Promise<T> => {
    // An account past its share of the known lane is served as an unknown device would be.
    const inLane = account === undefined ? 0 : (knownPerAccount.get(account) ?? 0);
    const priority: PasswordPriority = asked === 'known' && inLane >= maxKnownPerAccount ? 'unknown' : asked;
    const counted = priority === 'known' && account !== undefined;
    if (counted) knownPerAccount.set(account, inLane + 1);
    try {
      return await run(priority, work);
    } finally {
      if (counted) {
        const left = (knownPerAccount.get(account) ?? 1) - 1;
        if (left === 0) knownPerAccount.delete(account);
        else knownPerAccount.set(account, left);
      }
    }
  };

  const run = async <T>(priority: PasswordPriority, work: () => Promise<T>): Promise<T> => {
    // Queued work of the same lane goes first (first come, first served within a lane).
    if (canStart(priority) && (priority === 'known' ? known : unknown).length === 0) {
      take(priority);
    } else {
      if (priority === 'unknown' && unknown.length >= options.maxQueuedUnknown) {
        refused += 1;
        throw new DomainError('service_unavailable', BUSY, { retryAfterSeconds: 1 });
      }
      // Counted as running by next() when it starts this one.
      await new Promise<void>((resolve) => (priority === 'known' ? known : unknown).push(resolve));
    }
    try {
      return await work();
    } finally {
      running -= 1;
      if (priority === 'unknown') runningUnknown -= 1;
      next();
    }
  };

  return {
    // New passwords are set by signed-in users or administrators: never refused, never ahead of a login.
    hash: (password) => admit('known', () => hasher.hash(password)),
    verify: (phcHash, password, verifyOptions) => admit(verifyOptions?.priority ?? 'known', () => hasher.verify(phcHash, password), verifyOptions?.account),
    verifyDummy: (password, verifyOptions) => admit(verifyOptions?.priority ?? 'unknown', () => hasher.verifyDummy(password)),
    stats: () => ({ running, queuedKnown: known.length, queuedUnknown: unknown.length, refused }),
  };
}
