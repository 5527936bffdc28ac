import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// A snapshot of every table the database has, found by introspection rather than listed by
// hand: a table added by a later migration is compared too without anyone remembering to.

export type TableSnapshot = Record<string, string[]>;

/** Columns that move on their own (a session's last-seen time), not data a request writes. */
const VOLATILE_COLUMNS: Record<string, string[]> = { sessions: ['last_seen_at'] };

/** The tables of this database (for PostgreSQL: of the connection's schema only, not the whole database). */
export async function listTables(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const result =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  return result.rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('kysely_'))
    .sort();
}

/** Every row of every table, each row as canonical JSON, sorted (so row order cannot differ). */
export async function snapshotEveryTable(db: Kysely<unknown>, tables: string[], dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<TableSnapshot> {
  const snapshot: TableSnapshot = {};
  if (dialect === 'postgres') {
    // One round trip for all tables: each as a sorted array of its rows' JSON.
    const columns = tables.map((table) => {
      const row = (VOLATILE_COLUMNS[table] ?? []).reduce((expr, column) => sql`${expr} - ${column}::text`, sql`to_jsonb(x)`);
      return sql`(select coalesce(array_agg((${row})::text order by (${row})::text), '{}') from ${sql.table(table)} x) as ${sql.ref(table)}`;
    });
    const result = await sql<Record<string, string[]>>`select ${sql.join(columns)}`.execute(db);
    for (const table of tables) snapshot[table] = result.rows[0]?.[table] ?? [];
    return snapshot;
  }
  for (const table of tables) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    const volatile = VOLATILE_COLUMNS[table] ?? [];
    snapshot[table] = result.rows
      .map((row) => JSON.stringify(Object.keys(row).sort().filter((k) => !volatile.includes(k)).map((k) => [k, String(row[k])])))
      .sort();
  }
  return snapshot;
}

/** Names of the tables whose rows differ between two snapshots. */
export function changedTables(before: TableSnapshot, after: TableSnapshot): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort();
}
