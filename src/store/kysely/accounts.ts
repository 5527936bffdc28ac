import type { Kysely, Selectable } from 'kysely';
import type { Account, Role, SecondFactorMethod } from '../../core/types.ts';
import type { Database, UsersTable } from '../schema.ts';
import type { AccountStore, NewAccount } from '../store.ts';

export function toAccount(row: Selectable<UsersTable>): Account {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    role: row.role as Role,
    passwordHash: row.password_hash,
    twoFactorMethod: row.two_factor_method as SecondFactorMethod | null,
    twoFactorChangedAt: row.two_factor_changed_at === null ? null : Number(row.two_factor_changed_at),
    sessionEpoch: Number(row.session_epoch),
    createdAt: Number(row.created_at),
  };
}

export function accountQueries(db: Kysely<Database>): AccountStore {
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
          two_factor_method: null,
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
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async findAccountByUsernameKey(usernameKey: string): Promise<Account | null> {
      const row = await db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async listAccounts(): Promise<Account[]> {
      const rows = await db.selectFrom('users').selectAll().orderBy('username_key').execute();
      return rows.map(toAccount);
    },

    async countAccounts(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async updatePasswordHash(userId: string, passwordHash: string, now: number): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
    },

    async setTwoFactorMethod(userId: string, method: SecondFactorMethod | null, now: number): Promise<void> {
      await db
        .updateTable('users')
        .set({ two_factor_method: method, two_factor_changed_at: now, updated_at: now })
        .where('id', '=', userId)
        .execute();
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
