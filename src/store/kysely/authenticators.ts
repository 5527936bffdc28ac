import type { Kysely, Selectable } from 'kysely';
import type { Authenticator, AuthenticatorType } from '../../core/types.ts';
import type { AuthenticatorsTable, Database } from '../schema.ts';
import type { AuthenticatorStore, NewAuthenticator } from '../store.ts';
import { changedRows } from './rows.ts';

const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));

export function toAuthenticator(row: Selectable<AuthenticatorsTable>): Authenticator {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type as AuthenticatorType,
    name: row.name,
    sealedSecret: row.sealed_secret,
    lastUsedStep: nullableNumber(row.last_used_step),
    clockOffsetSeconds: nullableNumber(row.clock_offset_seconds),
    createdAt: Number(row.created_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    webauthn:
      row.credential_id === null
        ? null
        : {
            credentialId: row.credential_id,
            signCount: Number(row.sign_count ?? 0),
            transports: row.transports === null || row.transports === '' ? [] : row.transports.split(' '),
            attachment: row.attachment === 'platform' || row.attachment === 'cross-platform' ? row.attachment : null,
          },
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function authenticatorQueries(db: Kysely<Database>): AuthenticatorStore {
  return {
    async addAuthenticator(a: NewAuthenticator): Promise<boolean> {
      const result = await db
        .insertInto('authenticators')
        .values({
          id: a.id,
          user_id: a.userId,
          type: a.type,
          name: a.name,
          sealed_secret: a.sealedSecret,
          legacy_sealed_secret: null,
          last_used_step: a.lastUsedStep,
          clock_offset_seconds: a.clockOffsetSeconds,
          created_at: a.createdAt,
          last_used_at: a.lastUsedAt ?? null,
          credential_id: a.webauthn?.credentialId ?? null,
          sign_count: a.webauthn?.signCount ?? null,
          transports: a.webauthn ? a.webauthn.transports.join(' ') : null,
          attachment: a.webauthn?.attachment ?? null,
        })
        // The partial unique index (one email method per account) and the unique credential id refuse duplicates.
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst()
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return { numInsertedOrUpdatedRows: 0n };
          throw error;
        });
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async listAuthenticators(userId: string, type?: AuthenticatorType): Promise<Authenticator[]> {
      let query = db.selectFrom('authenticators').selectAll().where('user_id', '=', userId);
      if (type !== undefined) query = query.where('type', '=', type);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toAuthenticator);
    },

    async findAuthenticator(userId: string, id: string): Promise<Authenticator | null> {
      const row = await db.selectFrom('authenticators').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return row ? toAuthenticator(row) : null;
    },

    async countAuthenticators(userId: string, type?: AuthenticatorType): Promise<number> {
      let query = db.selectFrom('authenticators').select((eb) => eb.fn.countAll<number>().as('count')).where('user_id', '=', userId);
      if (type !== undefined) query = query.where('type', '=', type);
      return Number((await query.executeTakeFirstOrThrow()).count);
    },

    async renameAuthenticator(userId: string, id: string, name: string): Promise<boolean> {
      const result = await db.updateTable('authenticators').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return changedRows(result) === 1;
    },

    async removeAuthenticator(userId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('authenticators').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return changedRows(result) === 1;
    },

    async removeAuthenticators(userId: string): Promise<number> {
      return changedRows(await db.deleteFrom('authenticators').where('user_id', '=', userId).executeTakeFirst());
    },

    async advanceAuthenticatorStep(id: string, step: number, use: { now: number; clockOffsetSeconds: number }): Promise<boolean> {
      const result = await db
        .updateTable('authenticators')
        .set({ last_used_step: step, last_used_at: use.now, clock_offset_seconds: use.clockOffsetSeconds })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async markAuthenticatorUsed(id: string, now: number): Promise<void> {
      await db.updateTable('authenticators').set({ last_used_at: now }).where('id', '=', id).execute();
    },

    async lockAccountForUpdate(userId: string, now: number): Promise<void> {
      await db.updateTable('users').set({ updated_at: now }).where('id', '=', userId).execute();
    },
  };
}
