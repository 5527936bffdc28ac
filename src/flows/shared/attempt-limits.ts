import { DomainError } from '../../core/errors.ts';
import type { FlowDeps } from './deps.ts';

export interface AttemptPolicy {
  limit: number;
  windowMs: number;
  lockMs: number;
  /** Each lock doubles the last one (up to this), and the doubling resets after this long without a lock. */
  maxLockMs: number;
}

export const attemptKeys = {
  secondFactor: (userId: string): string => `second-factor:account:${userId}`,
  enrollment: (userId: string): string => `enrollment:account:${userId}`,
  passwordByUsername: (usernameKey: string): string => `password:username:${usernameKey}`,
  passwordByIp: (ip: string): string => `password:ip:${ip}`,
};

export function secondFactorPolicy(deps: FlowDeps): AttemptPolicy {
  const l = deps.settings.limits;
  return { limit: l.secondFactorMaxFailures, windowMs: l.secondFactorWindowMs, lockMs: l.secondFactorLockMs, maxLockMs: l.maxLockMs };
}

export function passwordPolicy(deps: FlowDeps, kind: 'username' | 'ip'): AttemptPolicy {
  const l = deps.settings.limits;
  const limit = kind === 'username' ? l.passwordMaxFailuresPerUsername : l.passwordMaxFailuresPerIp;
  return { limit, windowMs: l.passwordWindowMs, lockMs: l.passwordLockMs, maxLockMs: l.maxLockMs };
}

/** Seconds until `key` can be tried again, at least 1. */
async function retryAfterSeconds(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<number> {
  const now = deps.clock();
  const counter = await deps.store.findAttemptCounter(key);
  let until = now;
  if (counter !== null && counter.lockedUntil > now) until = counter.lockedUntil;
  else if (counter !== null && counter.failures >= policy.limit) until = counter.windowStartedAt + policy.windowMs;
  // Otherwise the slots are held by checks still in flight, which settle within a second.
  return Math.max(1, Math.ceil((until - now) / 1000));
}

async function tooManyAttempts(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<DomainError> {
  const seconds = await retryAfterSeconds(deps, key, policy);
  return new DomainError('too_many_attempts', `Too many attempts. Try again in ${formatWait(seconds)}.`, {
    retryAfterSeconds: seconds,
  });
}

/**
 * Takes an attempt slot before a secret is checked, so that a burst of parallel requests can never
 * check more secrets than the limit allows. Throws `too_many_attempts` when none is left.
 */
export async function reserveAttempt(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<void> {
  if (!(await deps.store.reserveAttempt(key, deps.clock(), policy.limit, policy.windowMs))) {
    throw await tooManyAttempts(deps, key, policy);
  }
}

/**
 * For limits that must not hold a slot while a check runs (the per-address password limit: an
 * office behind one address may have many correct logins in flight at once). Bounds failures,
 * not checks in flight; the per-username limit is the exact one.
 */
export async function requireAttemptAllowed(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<void> {
  if (!(await deps.store.isAttemptAllowed(key, deps.clock(), policy.limit, policy.windowMs))) {
    throw await tooManyAttempts(deps, key, policy);
  }
}

/** The secret was right (or never checked): the slot goes back, so successes are never throttled. */
export async function releaseAttempt(deps: FlowDeps, key: string): Promise<void> {
  await deps.store.releaseAttempt(key);
}

/**
 * The secret was wrong: one more failure. When that reaches the limit, the key is locked (once,
 * however many requests fail together) and the lock's end is returned.
 */
export async function recordFailedAttempt(
  deps: FlowDeps,
  key: string,
  policy: AttemptPolicy,
  options: { reserved: boolean } = { reserved: true },
): Promise<number | null> {
  const now = deps.clock();
  await deps.store.recordAttemptFailure(key, now, options.reserved);
  const counter = await deps.store.findAttemptCounter(key);
  if (counter === null || counter.failures < policy.limit) return null;
  const lastLockEnded = counter.lockedUntil;
  const level = lastLockEnded > 0 && now - lastLockEnded > policy.maxLockMs ? 0 : counter.lockouts;
  const lockMs = Math.min(policy.lockMs * 2 ** Math.min(level, 20), policy.maxLockMs);
  const lockedUntil = now + lockMs;
  const locked = await deps.store.lockAttemptCounter(key, now, {
    until: lockedUntil,
    seen: counter.lockouts,
    level: level + 1,
    limit: policy.limit,
  });
  return locked ? lockedUntil : null;
}

/**
 * Runs one secret check under `key`'s limit: a slot is taken first, a result (non-null) gives it
 * back, null counts a failure, and a thrown error gives it back (nothing was judged).
 */
export async function checkUnderLimit<T>(deps: FlowDeps, key: string, policy: AttemptPolicy, check: () => Promise<T | null> | T | null): Promise<T | null> {
  await reserveAttempt(deps, key, policy);
  let result: T | null;
  try {
    result = await check();
  } catch (error) {
    await releaseAttempt(deps, key);
    throw error;
  }
  if (result === null) await recordFailedAttempt(deps, key, policy);
  else await releaseAttempt(deps, key);
  return result;
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}
