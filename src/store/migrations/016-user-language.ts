import type { Kysely } from 'kysely';

// users.language: the interface language the account chose (a catalog's tag such as "de" or
// "zh-CN"), used for its mails and the server's messages to it. NULL (every existing account):
// no choice yet, so its clients follow the browser and the server Accept-Language.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('language', 'text').execute();
}
