import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { MetaStore } from '../store.ts';

export function metaQueries(db: Kysely<Database>): MetaStore {
  return {
    async putMetaIfAbsent(key: string, value: string): Promise<string> {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      const stored = row?.value ?? null;
      if (stored === null) throw new Error(`meta ${key} vanished after insert`);
      return stored;
    },
    async getMeta(key: string): Promise<string | null> {
      const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value ?? null;
    },
    async listMeta(prefix: string): Promise<Array<{ key: string; value: string }>> {
      const rows = await db.selectFrom('meta').select(['key', 'value']).where('key', '>=', prefix).where('key', '<', `${prefix}\uffff`).orderBy('key').execute();
      return rows.filter((row) => row.key.startsWith(prefix));
    },
    async putMeta(key: string, value: string): Promise<void> {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },
    async deleteMeta(key: string): Promise<void> {
      await db.deleteFrom('meta').where('key', '=', key).execute();
    },
  };
}
