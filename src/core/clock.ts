/** Milliseconds since the epoch. Passed in everywhere so tests and flows never read a hidden clock. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
