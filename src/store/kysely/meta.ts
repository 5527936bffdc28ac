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
  };
}
