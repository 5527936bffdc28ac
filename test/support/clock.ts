import type { Clock } from '../../src/core/clock.ts';

/** The real time plus an offset the test moves forward: travel in time without sleeping or editing rows. */
export interface TestClock {
  clock: Clock;
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offset = 0;
  return {
    clock: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}
