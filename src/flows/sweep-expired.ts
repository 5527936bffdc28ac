import type { FlowDeps } from './shared/deps.ts';

const DAY_MS = 24 * 60 * 60_000;

/** Deletes what has expired: sessions, challenges, codes, idle counters, and audit events past retention. */
export async function sweepExpired(deps: FlowDeps, auditRetentionDays: number): Promise<{ auditEventsDeleted: number }> {
  const now = deps.clock();
  await deps.store.deleteExpired(now);
  return { auditEventsDeleted: await deps.store.deleteAuditEventsBefore(now - auditRetentionDays * DAY_MS) };
}
