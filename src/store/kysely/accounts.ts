import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Account, Role, SecondFactorMethod } from '../../core/types.ts';
import type { Database, UsersTable } from '../schema.ts';
import type { AccountChanges, AccountStore, NewAccount } from '../store.ts';
import { changedRows } from './rows.ts';

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
    disabled: Number(row.disabled) === 1,
    passwordChangeRequired: Number(row.password_change_required) === 1,
    language: row.language ?? null,
    twoFactorPolicySince: row.two_factor_policy_since === null ? null : Number(row.two_factor_policy_since),
    createdAt: Number(row.created_at),
  };
}

const ADMINISTRATORS_GUARD = 'administrators_guard';

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
          disabled: 0,
          password_change_required: 0,
          two_factor_policy_since: account.twoFactorPolicySince ?? null,
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

    async updatePasswordHash(userId: string, passwordHash: string, now: number, options: { changeRequired?: boolean } = {}): Promise<void> {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, password_change_required: options.changeRequired === true ? 1 : 0, updated_at: now })
        .where('id', '=', userId)
        .execute();
    },

    async updateAccount(userId: string, changes: AccountChanges, now: number): Promise<void> {
      await db
        .updateTable('users')
        .set({
          ...(changes.displayName === undefined ? {} : { display_name: changes.displayName }),
          ...(changes.email === undefined ? {} : { email: changes.email, email_verified: 0 }),
          ...(changes.role === undefined ? {} : { role: changes.role }),
          ...(changes.disabled === undefined ? {} : { disabled: changes.disabled ? 1 : 0 }),
          updated_at: now,
        })
        .where('id', '=', userId)
        .execute();
    },

    async setLanguage(userId: string, language: string | null, now: number): Promise<boolean> {
      return changedRows(await db.updateTable('users').set({ language, updated_at: now }).where('id', '=', userId).executeTakeFirst()) === 1;
    },

    async deleteAccount(userId: string): Promise<boolean> {
      // Sessions, challenges, credentials, codes, devices and tokens go with it (ON DELETE
      // CASCADE); audit events have no foreign key and keep the username.
      return changedRows(await db.deleteFrom('users').where('id', '=', userId).executeTakeFirst()) === 1;
    },

    async lockAdministrators(): Promise<void> {
      // One row every change to the set of active administrators updates first: on PostgreSQL
      // its row lock queues such changes (and the count that follows sees the previous one's
      // commit); SQLite's write lock already does.
      await db.insertInto('meta').values({ key: ADMINISTRATORS_GUARD, value: '' }).onConflict((oc) => oc.column('key').doNothing()).execute();
      await db.updateTable('meta').set({ value: 'locked' }).where('key', '=', ADMINISTRATORS_GUARD).execute();
    },

    async countActiveAdministrators(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('role', '=', 'admin')
        .where('disabled', '=', 0)
        .executeTakeFirstOrThrow();
      return Number(row.count);
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
