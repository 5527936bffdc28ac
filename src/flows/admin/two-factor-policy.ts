import { DomainError } from '../../core/errors.ts';
import {
  coveredRoles,
  MAX_GRACE_DAYS,
  parsePolicy,
  policyAppliesTo,
  policyStanding,
  type PolicyStanding,
  type TwoFactorPolicy,
} from '../../core/two-factor-policy.ts';
import type { Account, AuthenticatorType, Role } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { requireAdminReauthentication } from '../shared/reauthentication.ts';
import { localize } from '../../i18n/format.ts';

export const OWN_TWO_FACTOR_FIRST = 'Set up two-factor authentication for your own account first.';

export async function readPolicy(deps: FlowDeps, store: Store = deps.store): Promise<TwoFactorPolicy> {
  return parsePolicy(await store.getTwoFactorPolicy());
}

/**
 * `PUT /admin/policy` (and `twofold policy set`). Accounts the new policy covers and the old one
 * did not start their clock now; accounts it no longer covers stop theirs; the others keep
 * theirs, so changing only the grace days restarts nobody's. Sessions open now go on: the
 * policy is applied at the next login. An administrator cannot enable a policy they do not
 * meet themselves (they would be sent to the setup at their next login, with no one to help).
 */
export async function setPolicy(deps: FlowDeps, input: TwoFactorPolicy, actor: AdminActor): Promise<TwoFactorPolicy> {
  if (!Number.isInteger(input.gracePeriodDays) || input.gracePeriodDays < 0 || input.gracePeriodDays > MAX_GRACE_DAYS) {
    throw new DomainError('validation_error', localize('The grace period must be 0 to {max} days.', { max: MAX_GRACE_DAYS }), { field: 'gracePeriodDays' });
  }
  const policy: TwoFactorPolicy = { twoFactorRequired: input.twoFactorRequired, gracePeriodDays: input.gracePeriodDays };
  // Judged before the Password window is asked for (as a new account's input is): the client can
  // say "set up your own first" without asking for a password that could not help. The same
  // check runs again below, under the lock, for the answer that counts.
  if (actor.account !== undefined && policyAppliesTo(policy, actor.account.role) && actor.account.authenticatorCount === 0) {
    throw new DomainError('conflict', OWN_TWO_FACTOR_FIRST);
  }
  requireAdminReauthentication(deps, actor);
  const now = deps.clock();
  const previous = await deps.store.transaction(async (store) => {
    // Queued behind other changes to the administrators, so the guard below reads a current account.
    await store.lockAdministrators();
    if (actor.account !== undefined && policyAppliesTo(policy, actor.account.role)) {
      const self = await store.findAccountById(actor.account.id);
      if (self === null || self.authenticatorCount === 0) throw new DomainError('conflict', OWN_TWO_FACTOR_FIRST);
    }
    const before = await readPolicy(deps, store);
    await store.putTwoFactorPolicy(JSON.stringify(policy));
    await store.setPolicyCoverage(coveredRoles(policy.twoFactorRequired), now);
    await recordAudit(
      deps,
      {
        type: 'policy.changed',
        outcome: 'success',
        actor: actor.name,
        ip: actor.ip,
        detail: { from: before.twoFactorRequired, to: policy.twoFactorRequired, from_grace_days: before.gracePeriodDays, grace_days: policy.gracePeriodDays },
      },
      store,
    );
    return before;
  });
  await notifyNewlyCovered(deps, previous, policy, now);
  return policy;
}

/** Tells users without two-factor whom the policy newly covers; the others have nothing to do. */
async function notifyNewlyCovered(deps: FlowDeps, before: TwoFactorPolicy, after: TwoFactorPolicy, now: number): Promise<void> {
  const newly = coveredRoles(after.twoFactorRequired).filter((role) => !coveredRoles(before.twoFactorRequired).includes(role));
  if (newly.length === 0) return;
  for (const account of await deps.store.listAccounts()) {
    if (!newly.includes(account.role) || account.authenticatorCount > 0 || account.disabled) continue;
    const standing = policyStanding(after, { ...account, twoFactorPolicySince: account.twoFactorPolicySince ?? now }, now);
    await deps.notifier.notify(account, 'two_factor_policy', standing.state === 'grace' ? { requiredBy: new Date(standing.deadline).toISOString() } : {});
  }
}

/**
 * Starts an account's clock when the policy begins to cover it outside a policy change (created
 * as, or promoted to, a covered role), and stops it when it no longer does. In the caller's transaction.
 */
export async function applyPolicyToAccount(deps: FlowDeps, store: Store, userId: string, role: Role, now: number): Promise<void> {
  const policy = await readPolicy(deps, store);
  if (policyAppliesTo(policy, role)) await store.setAccountPolicySince(userId, now, { onlyIfUnset: true });
  else await store.setAccountPolicySince(userId, null, { onlyIfUnset: false });
}

export async function standingOf(deps: FlowDeps, account: Account): Promise<PolicyStanding> {
  return policyStanding(await readPolicy(deps), account, deps.clock());
}

export interface AdoptionRow {
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  kinds: AuthenticatorType[];
  state: PolicyStanding['state'];
  since: number | null;
  deadline: number | null;
}

export interface Adoption {
  policy: TwoFactorPolicy;
  total: number;
  withTwoFactor: number;
  byKind: Record<AuthenticatorType, number>;
  inGrace: number;
  overdue: number;
  users: AdoptionRow[];
}

/** Who has two-factor, by kind, and who is still in the grace period or overdue (Administration). */
export async function describeAdoption(deps: FlowDeps): Promise<Adoption> {
  const now = deps.clock();
  const policy = await readPolicy(deps);
  const byKind: Record<AuthenticatorType, number> = { totp: 0, email: 0, webauthn: 0 };
  const users: AdoptionRow[] = [];
  for (const account of await deps.store.listAccounts()) {
    const kinds: AuthenticatorType[] = [];
    if (account.authenticatorCount > 0) {
      for (const a of await deps.store.listAuthenticators(account.id)) if (!kinds.includes(a.type)) kinds.push(a.type);
    }
    for (const kind of kinds) byKind[kind] += 1;
    const standing = policyStanding(policy, account, now);
    users.push({
      username: account.username,
      displayName: account.displayName,
      role: account.role,
      disabled: account.disabled,
      kinds,
      state: standing.state,
      // Shown for everyone covered, with two-factor or not: when the policy started applying to them.
      since: 'since' in standing ? standing.since : account.twoFactorPolicySince,
      deadline: 'deadline' in standing ? standing.deadline : null,
    });
  }
  return {
    policy,
    total: users.length,
    withTwoFactor: users.filter((u) => u.kinds.length > 0).length,
    byKind,
    inGrace: users.filter((u) => u.state === 'grace').length,
    overdue: users.filter((u) => u.state === 'overdue').length,
    users,
  };
}
