import type { Kysely } from 'kysely';
import type { Role } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { TwoFactorPolicyStore } from '../store.ts';

const POLICY_KEY = 'two_factor_policy';

export function twoFactorPolicyQueries(db: Kysely<Database>): TwoFactorPolicyStore {
  return {
    async getTwoFactorPolicy(): Promise<string | null> {
      const row = await db.selectFrom('meta').select('value').where('key', '=', POLICY_KEY).executeTakeFirst();
      return row?.value ?? null;
    },

    async putTwoFactorPolicy(value: string): Promise<void> {
      await db.insertInto('meta').values({ key: POLICY_KEY, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },

    async setPolicyCoverage(roles: readonly Role[], now: number): Promise<void> {
      if (roles.length > 0) {
        await db.updateTable('users').set({ two_factor_policy_since: now }).where('role', 'in', [...roles]).where('two_factor_policy_since', 'is', null).execute();
      }
      let uncovered = db.updateTable('users').set({ two_factor_policy_since: null }).where('two_factor_policy_since', 'is not', null);
      if (roles.length > 0) uncovered = uncovered.where('role', 'not in', [...roles]);
      await uncovered.execute();
    },

    async setAccountPolicySince(userId: string, since: number | null, options: { onlyIfUnset: boolean }): Promise<void> {
      let query = db.updateTable('users').set({ two_factor_policy_since: since }).where('id', '=', userId);
      if (options.onlyIfUnset) query = query.where('two_factor_policy_since', 'is', null);
      await query.execute();
    },
  };
}
