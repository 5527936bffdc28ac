import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Account, Role, SecondFactorMethod } from '../../core/types.ts';
import type { Database, UsersTable } from '../schema.ts';
import type { AccountStore, NewAccount } from '../store.ts';

/** What an account row carries besides its columns: the two facts derived from its authenticators. */
export interface DerivedTwoFactor {
  two_factor_method: string | null;
  authenticator_count: number | string | bigint | null;
}

/**
 * "Two-factor is on" is derived, never stored beside the credentials: the kind of the oldest
 * authenticator and how many there are, read in the same query as the account.
 */
export function derivedTwoFactorColumns(eb: ExpressionBuilder<Database, 'users'>) {
  return [
    eb
      .selectFrom('authenticators as a')
      .select('a.type')
      .whereRef('a.user_id', '=', 'users.id')
      .orderBy('a.created_at')
      .orderBy('a.id')
      .limit(1)
      .as('two_factor_method'),
    eb
      .selectFrom('authenticators as a')
      .select((inner) => inner.fn.countAll<number>().as('n'))
      .whereRef('a.user_id', '=', 'users.id')
      .as('authenticator_count'),
  ] as const;
}

export function toAccount(row: Selectable<UsersTable> & DerivedTwoFactor): Account {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    role: row.role as Role,
    passwordHash: row.password_hash,
    twoFactorMethod: row.two_factor_method as SecondFactorMethod | null,
    authenticatorCount: Number(row.authenticator_count ?? 0),
    twoFactorChangedAt: row.two_factor_changed_at === null ? null : Number(row.two_factor_changed_at),
    sessionEpoch: Number(row.session_epoch),
    createdAt: Number(row.created_at),
  };
}

export function accountQueries(db: Kysely<Database>): AccountStore {
  const accounts = () => db.selectFrom('users').selectAll('users').select(derivedTwoFactorColumns);
  return {
    async createAccount(account: NewAccount): Promise<boolean> {
      const result = await db
        .insertInto('users')
        .values({
          id: account.id,
          username: account.username,
          username_key: account.usernameKey,
          display_name: account.displayName,
          email: account.email,
          email_verified: account.emailVerified ? 1 : 0,
          role: account.role,
          password_hash: account.passwordHash,
          two_factor_changed_at: null,
          session_epoch: 0,
          created_at: account.createdAt,
          updated_at: account.createdAt,
        })
        .onConflict((oc) => oc.column('username_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async findAccountById(id: string): Promise<Account | null> {
      const row = await accounts().where('users.id', '=', id).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async findAccountByUsernameKey(usernameKey: string): Promise<Account | null> {
      const row = await accounts().where('users.username_key', '=', usernameKey).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async listAccounts(): Promise<Account[]> {
      const rows = await accounts().orderBy('users.username_key').execute();
      return rows.map(toAccount);
    },

    async countAccounts(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async updatePasswordHash(userId: string, passwordHash: string, now: number): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
    },

    async markTwoFactorChanged(userId: string, now: number): Promise<void> {
      await db.updateTable('users').set({ two_factor_changed_at: now, updated_at: now }).where('id', '=', userId).execute();
    },

    async setEmail(userId: string, email: string | null, verified: boolean, now: number): Promise<void> {
      await db
        .updateTable('users')
        .set({ email, email_verified: verified ? 1 : 0, updated_at: now })
        .where('id', '=', userId)
        .execute();
    },
  };
}
