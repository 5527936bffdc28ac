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
  const until = counter === null ? now : Math.max(counter.lockedUntil, counter.windowStartedAt + policy.windowMs);
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/**
 * Takes an attempt slot before a secret is checked, so that a burst of parallel requests can never
 * check more secrets than the limit allows. Throws `too_many_attempts` when none is left.
 */
export async function reserveAttempt(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<void> {
  const reserved = await deps.store.reserveAttempt(key, deps.clock(), policy.limit, policy.windowMs);
  if (!reserved) {
    const seconds = await retryAfterSeconds(deps, key, policy);
    throw new DomainError('too_many_attempts', `Too many attempts. Try again in ${formatWait(seconds)}.`, {
      retryAfterSeconds: seconds,
    });
  }
}

/** The secret was right: the slot goes back, so successful sign-ins are never throttled. */
export async function releaseAttempt(deps: FlowDeps, key: string): Promise<void> {
  await deps.store.releaseAttempt(key);
}

/**
 * The secret was wrong: the slot stays spent. When that spent the last slot, the key is locked
 * (once, however many requests fail together) and the lock's end is returned.
 */
export async function recordFailedAttempt(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<number | null> {
  const now = deps.clock();
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

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}
