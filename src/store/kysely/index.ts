import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Store } from '../store.ts';
import { accountQueries } from './accounts.ts';
import { authenticatorQueries } from './authenticators.ts';
import { attemptCounterQueries } from './attempt-counters.ts';
import { auditQueries } from './audit-events.ts';
import { deviceQueries } from './devices.ts';
import { emailCodeQueries } from './email-codes.ts';
import { loginChallengeQueries } from './login-challenges.ts';
import { metaQueries } from './meta.ts';
import { passwordTokenQueries } from './password-tokens.ts';
import { enrollmentTokenQueries } from './enrollment-tokens.ts';
import { adminRecoveryCodeQueries } from './admin-recovery-codes.ts';
import { twoFactorPolicyQueries } from './two-factor-policy.ts';
import { sessionQueries } from './sessions.ts';
import { twoFactorCredentialQueries } from './two-factor-credentials.ts';
import { webauthnQueries } from './webauthn.ts';

/**
 * The one implementation of Store, over Kysely, for both dialects (chosen in database.ts).
 * Each part is a file of its own; `db` is the pool or, inside `transaction`, the transaction.
 */
export function createKyselyStore(db: Kysely<Database>, inTransaction = false): Store {
  const store: Store = {
    ...accountQueries(db),
    ...authenticatorQueries(db),
    ...twoFactorCredentialQueries(db),
    ...webauthnQueries(db),
    ...sessionQueries(db),
    ...loginChallengeQueries(db),
    ...deviceQueries(db),
    ...attemptCounterQueries(db),
    ...emailCodeQueries(db),
    ...auditQueries(db),
    ...metaQueries(db),
    ...passwordTokenQueries(db),
    ...enrollmentTokenQueries(db),
    ...adminRecoveryCodeQueries(db),
    ...twoFactorPolicyQueries(db),
    async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
      if (inTransaction) return work(store);
      return db.transaction().execute((trx) => work(createKyselyStore(trx, true)));
    },
    async ping(now: number): Promise<void> {
      // A committed write, not a read: a read-only, full or failing database still answers
      // reads, and an instance that cannot write must leave the load balancer's rotation.
      await db
        .insertInto('meta')
        .values({ key: 'readiness_probe', value: String(now) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(now) }))
        .execute();
    },
  };
  return store;
}
