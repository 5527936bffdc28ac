import type { Role } from './types.ts';

/** Who the administrators require to have two-factor (Administration, "Enforce Two-factor Authentication"). */
export type TwoFactorRequirement = 'off' | 'admins' | 'all';

export interface TwoFactorPolicy {
  twoFactorRequired: TwoFactorRequirement;
  /** How long a newly covered user may postpone the setup: 0 to 90 days. */
  gracePeriodDays: number;
}

export const DEFAULT_POLICY: TwoFactorPolicy = Object.freeze({ twoFactorRequired: 'off', gracePeriodDays: 0 });
export const MAX_GRACE_DAYS = 90;
const DAY_MS = 24 * 60 * 60_000;

/** The roles a requirement covers. */
export function coveredRoles(requirement: TwoFactorRequirement): Role[] {
  if (requirement === 'all') return ['user', 'admin'];
  if (requirement === 'admins') return ['admin'];
  return [];
}

export function policyAppliesTo(policy: TwoFactorPolicy, role: Role): boolean {
  return coveredRoles(policy.twoFactorRequired).includes(role);
}

/**
 * When a covered user must have set up two-factor: when the policy started applying to them
 * plus the grace days in force now (so changing only the days moves the deadline, never the start).
 */
export function enrollmentDeadline(policy: TwoFactorPolicy, since: number): number {
  return since + policy.gracePeriodDays * DAY_MS;
}

/** A stored policy, or the default when it is absent or unreadable (never stricter by accident, never an error). */
export function parsePolicy(stored: string | null): TwoFactorPolicy {
  if (stored === null) return DEFAULT_POLICY;
  try {
    const value = JSON.parse(stored) as Partial<TwoFactorPolicy>;
    const required = value.twoFactorRequired;
    const days = value.gracePeriodDays;
    if ((required === 'off' || required === 'admins' || required === 'all') && Number.isInteger(days) && days! >= 0 && days! <= MAX_GRACE_DAYS) {
      return { twoFactorRequired: required, gracePeriodDays: days! };
    }
  } catch {
    // fall through
  }
  return DEFAULT_POLICY;
}

/** Where an account stands under the policy. */
export type PolicyStanding =
  | { state: 'enabled' | 'not_required' }
  | { state: 'grace' | 'overdue'; since: number; deadline: number };

export function policyStanding(policy: TwoFactorPolicy, account: { role: Role; authenticatorCount: number; twoFactorPolicySince: number | null }, now: number): PolicyStanding {
  if (account.authenticatorCount > 0) return { state: 'enabled' };
  if (!policyAppliesTo(policy, account.role)) return { state: 'not_required' };
  // Covered without a recorded start (a change racing this read): the policy starts now.
  const since = account.twoFactorPolicySince ?? now;
  const deadline = enrollmentDeadline(policy, since);
  return { state: now < deadline ? 'grace' : 'overdue', since, deadline };
}
