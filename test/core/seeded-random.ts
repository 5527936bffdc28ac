import { createHash, randomBytes } from 'node:crypto';

/**
 * Reproducible randomness for differential tests: every run picks a fresh seed (so runs keep
 * exploring), and a failure message names the seed so the exact case can be replayed with
 * `TWOFOLD_TEST_SEED=<seed> npx vitest run test/core`.
 */
export interface SeededRandom {
  readonly seed: string;
  bytes(length: number): Uint8Array;
  /** An integer in [min, max), exact for ranges up to 2^48. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createSeededRandom(seed: string = process.env.TWOFOLD_TEST_SEED ?? randomBytes(8).toString('hex')): SeededRandom {
  let counter = 0;
  let pool = Buffer.alloc(0);
  const bytes = (length: number): Uint8Array => {
    while (pool.length < length) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      pool = Buffer.concat([pool, block]);
    }
    const out = Uint8Array.from(pool.subarray(0, length));
    pool = pool.subarray(length);
    return out;
  };
  const int = (min: number, max: number): number => {
    if (!(max > min) || max - min > 2 ** 48) throw new TypeError('bad range');
    const value = Buffer.from(bytes(6)).readUIntBE(0, 6);
    return min + (value % (max - min));
  };
  return {
    seed,
    bytes,
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length)]!,
  };
}
