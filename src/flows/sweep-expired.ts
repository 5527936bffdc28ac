import type { FlowDeps } from './shared/deps.ts';

const DAY_MS = 24 * 60 * 60_000;

/** Deletes what has expired: sessions, challenges, codes, idle counters, and audit events past retention. */
export async function sweepExpired(deps: FlowDeps, auditRetentionDays: number): Promise<{ auditEventsDeleted: number }> {
  const now = deps.clock();
  await deps.store.deleteExpired(now);
  // A device unused for as long as any trust lasts (at least 180 days) has nothing left to
  // offer: its trust lapsed, and a known-device budget for a client long gone protects nobody.
  await deps.store.deleteIdleDevices(now - Math.max(180, deps.settings.trustedDeviceDays) * DAY_MS);
  return { auditEventsDeleted: await deps.store.deleteAuditEventsBefore(now - auditRetentionDays * DAY_MS) };
}
