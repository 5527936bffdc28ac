import { usernameKey } from '../core/usernames.ts';
import type { AuditEvent } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';

export interface AuditPage {
  events: AuditEvent[];
  /** Pass back as `before` for the next (older) page; null on the last page. */
  nextCursor: { at: number; id: string } | null;
}

/** Newest first, keyset-paginated so pages stay stable while new events arrive. */
export async function listAuditEvents(
  deps: FlowDeps,
  query: { limit: number; before?: { at: number; id: string }; username?: string },
): Promise<AuditPage> {
  let userId: string | undefined;
  let username: string | undefined;
  if (query.username !== undefined) {
    const account = await deps.store.findAccountByUsernameKey(usernameKey(query.username));
    // A deleted account's events keep its name: they are found by that name, as it was written.
    if (account === null) username = query.username;
    else userId = account.id;
  }
  const events = await deps.store.listAuditEvents({ limit: query.limit, before: query.before, userId, username });
  const last = events.at(-1);
  return { events, nextCursor: events.length === query.limit && last ? { at: last.at, id: last.id } : null };
}
