import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../core/secret-box.ts';
import { authenticatorAssociatedData, legacyTOTPAssociatedData, pendingTOTPAssociatedData } from '../core/associated-data.ts';
import type { Database } from '../store/schema.ts';
import { KEY_CHECK_META, MAC_KEY_META } from './key-ring.ts';

/**
 * Every column that holds a value sealed with the master key, in one list: master-key rotation
 * re-seals exactly these. A new sealed column is one more entry here (and the rotation test
 * fails if a sealed value is left under the old key).
 */
export interface SealedColumn {
  table: keyof Database & string;
  column: string;
  /** The columns that identify a row. */
  keyColumns: string[];
  /** Other columns the associated data is made of (when not only the key). */
  contextColumns?: string[];
  /** The associated data the value was sealed with, from the row's key and context columns. */
  associatedData(row: Record<string, string>): string;
  /** Only rows of these key values (meta holds other things too). */
  onlyKeys?: string[];
}

export const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'authenticators', column: 'sealed_secret', keyColumns: ['id'], associatedData: (row) => authenticatorAssociatedData(row.id!) },
  // Only until the one-off upgrade after migration 005 has moved it (it runs at every start).
  { table: 'authenticators', column: 'legacy_sealed_secret', keyColumns: ['id'], contextColumns: ['user_id'], associatedData: (row) => legacyTOTPAssociatedData(row.user_id!) },
  { table: 'pending_totp_secrets', column: 'sealed_secret', keyColumns: ['user_id'], associatedData: (row) => pendingTOTPAssociatedData(row.user_id!) },
  { table: 'meta', column: 'value', keyColumns: ['key'], onlyKeys: [KEY_CHECK_META, MAC_KEY_META], associatedData: (row) => row.key! },
];

/** Values of one sealed column not sealed with the active key. */
async function staleRows(db: Kysely<Database>, column: SealedColumn, activeKeyId: string): Promise<Array<Record<string, string>>> {
  const prefix = `v2.${activeKeyId}.%`;
  const rows = await sql<Record<string, string>>`
    select ${sql.join([...column.keyColumns, ...(column.contextColumns ?? [])].map((c) => sql.ref(c)))}, ${sql.ref(column.column)} as sealed
    from ${sql.table(column.table)}
    where ${sql.ref(column.column)} is not null and ${sql.ref(column.column)} not like ${prefix}`.execute(db);
  return rows.rows.filter((row) => column.onlyKeys === undefined || column.onlyKeys.includes(row[column.keyColumns[0]!]!));
}

/**
 * Seals every value again with the active key. Each update is guarded on the value read, so a
 * value changed meanwhile by the service (a new setup) is left to the next pass, never overwritten.
 * Returns how many values were re-sealed and how many are still under another key.
 */
export async function resealEverySealedColumn(db: Kysely<Database>, secretBox: SecretBox): Promise<{ resealed: number; remaining: number }> {
  let resealed = 0;
  for (const column of SEALED_COLUMNS) {
    for (const row of await staleRows(db, column, secretBox.activeKeyId)) {
      const associatedData = column.associatedData(row);
      const plaintext = secretBox.open(row.sealed!, associatedData);
      if (plaintext === null) throw new Error(`${column.table}.${column.column}: a value cannot be opened with any key of the ring`);
      const where = column.keyColumns.map((c) => sql`${sql.ref(c)} = ${row[c]!}`);
      const result = await sql`
        update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${secretBox.seal(plaintext, associatedData)}
        where ${sql.join(where, sql` and `)} and ${sql.ref(column.column)} = ${row.sealed!}`.execute(db);
      resealed += Number(result.numAffectedRows ?? 0n);
    }
  }
  let remaining = 0;
  for (const column of SEALED_COLUMNS) remaining += (await staleRows(db, column, secretBox.activeKeyId)).length;
  return { resealed, remaining };
}
