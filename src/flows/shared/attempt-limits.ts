import { DomainError } from '../../core/errors.ts';
import type { AttemptCounter } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';
import { localize } from '../../i18n/format.ts';
import type { Text } from '../../core/text.ts';

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
  /** A known device's own budget (store/kysely/devices.ts finds these by the device id). */
  passwordByDevice: (deviceId: string): string => `password:device:${deviceId}`,
};

export function secondFactorPolicy(deps: FlowDeps): AttemptPolicy {
  const l = deps.settings.limits;
  return { limit: l.secondFactorMaxFailures, windowMs: l.secondFactorWindowMs, lockMs: l.secondFactorLockMs, maxLockMs: l.maxLockMs };
}

/**
 * 'username': wrong passwords from unknown devices, per username. 'device': a known device's
 * own budget, with the same numbers, so a guesser elsewhere cannot spend it. 'ip': per address.
 */
export function passwordPolicy(deps: FlowDeps, kind: 'username' | 'device' | 'ip'): AttemptPolicy {
  const l = deps.settings.limits;
  const limit = kind === 'ip' ? l.passwordMaxFailuresPerIp : l.passwordMaxFailuresPerUsername;
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

/**
 * Says what is paused, not only for how long: a locked login surprises users on their other
 * clients. A known device's lock and the username's unknown-device lock read the same word for
 * word: which of them applies would tell a guesser whether the token it holds counts.
 */
function lockedMessage(key: string): string {
  if (key.startsWith('password:username:') || key.startsWith('password:device:')) return 'Too many attempts. Logins to this account with a password are paused: try again in {wait}.';
  if (key.startsWith('password:ip:')) return 'Too many attempts. Logins from this network address are paused: try again in {wait}.';
  if (key.startsWith('second-factor:')) return 'Too many attempts. Entering codes for this account is paused: try again in {wait}.';
  return 'Too many attempts. Try again in {wait}.';
}

async function tooManyAttempts(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<DomainError> {
  const seconds = await retryAfterSeconds(deps, key, policy);
  return new DomainError('too_many_attempts', localize(lockedMessage(key), { wait: formatWait(seconds) }), {
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
  const level = lockLevel(counter, policy, now);
  const lockedUntil = now + lockDurationMs(policy, level);
  const locked = await deps.store.lockAttemptCounter(key, now, {
    until: lockedUntil,
    seen: counter.lockouts,
    level: level + 1,
    limit: policy.limit,
  });
  return locked ? lockedUntil : null;
}

function lockLevel(counter: AttemptCounter, policy: AttemptPolicy, now: number): number {
  const lastLockEnded = counter.lockedUntil;
  return lastLockEnded > 0 && now - lastLockEnded > policy.maxLockMs ? 0 : counter.lockouts;
}

function lockDurationMs(policy: AttemptPolicy, level: number): number {
  return Math.min(policy.lockMs * 2 ** Math.min(level, 20), policy.maxLockMs);
}

export interface AttemptsRemaining {
  /** Failures still allowed in this window before `key` locks. */
  left: number;
  /** How long the lock that the last of them would cause lasts. */
  lockMs: number;
}

/** What is left of `key`'s window after a failure: for warning a user before the lock, not after. */
export async function attemptsRemaining(deps: FlowDeps, key: string, policy: AttemptPolicy): Promise<AttemptsRemaining> {
  const now = deps.clock();
  const counter = await deps.store.findAttemptCounter(key);
  if (counter === null) return { left: policy.limit, lockMs: policy.lockMs };
  const inWindow = now - counter.windowStartedAt < policy.windowMs;
  const left = inWindow ? Math.max(0, policy.limit - counter.failures) : policy.limit;
  return { left, lockMs: lockDurationMs(policy, lockLevel(counter, policy, now)) };
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

export function formatWait(seconds: number): Text {
  if (seconds < 90) return localize('{seconds, plural, one {# second} other {# seconds}}', { seconds });
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return localize('{minutes, plural, one {# minute} other {# minutes}}', { minutes });
  return localize('{hours, plural, one {# hour} other {# hours}}', { hours: Math.ceil(minutes / 60) });
}
