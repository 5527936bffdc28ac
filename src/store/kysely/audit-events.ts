import type { Kysely } from 'kysely';
import type { AuditEvent, ClientKind } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { AuditQuery, AuditStore } from '../store.ts';

export function auditQueries(db: Kysely<Database>): AuditStore {
  return {
    async appendAuditEvent(event: AuditEvent): Promise<void> {
      await db
        .insertInto('audit_events')
        .values({
          id: event.id,
          at: event.at,
          type: event.type,
          outcome: event.outcome,
          user_id: event.userId,
          username: event.username,
          actor: event.actor,
          client: event.client,
          ip: event.ip,
          detail: event.detail === null ? null : JSON.stringify(event.detail),
        })
        .execute();
    },

    async deleteAuditEventsBefore(at: number): Promise<number> {
      const result = await db.deleteFrom('audit_events').where('at', '<', at).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async listAuditEvents(query: AuditQuery): Promise<AuditEvent[]> {
      let select = db.selectFrom('audit_events').selectAll();
      if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
      if (query.username !== undefined) select = select.where('username', '=', query.username);
      const before = query.before;
      if (before !== undefined) {
        select = select.where((eb) =>
          eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
        );
      }
      const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((row) => ({
        id: row.id,
        at: Number(row.at),
        type: row.type as AuditEvent['type'],
        outcome: row.outcome as AuditEvent['outcome'],
        userId: row.user_id,
        username: row.username,
        actor: row.actor,
        client: row.client as ClientKind | null,
        ip: row.ip,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditEvent['detail']),
      }));
    },
  };
}
