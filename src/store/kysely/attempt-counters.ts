import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { AttemptCounter, AttemptCounterStore } from '../store.ts';
import { changedRows } from './rows.ts';

/**
 * Brute-force counters as rows, so limits hold across restarts and instances. `failures` counts
 * wrong secrets in the window; `pending` counts checks in flight. Each change is one guarded
 * statement, so concurrent requests on any instance can never take more slots than the limit.
 */
/** Longer than any check takes (an SMTP send with its timeouts included). */
export const STALE_PENDING_MS = 60_000;

export function attemptCounterQueries(db: Kysely<Database>): AttemptCounterStore {
  /**
   * One statement, so it is atomic on both dialects: the row is made if missing; a window that
   * has run out starts afresh (only failures reset: checks in flight keep their slots; the
   * condition on window_started_at collapses concurrent restarts into one); slots nobody has
   * touched for a while belong to checks that never finished (a killed instance) and are given
   * back, since no check takes a minute.
   */
  async function ensureWindow(key: string, now: number, windowMs: number): Promise<void> {
    await db
      .insertInto('attempt_counters')
      .values({ key, window_started_at: now, failures: 0, pending: 0, pending_at: 0, locked_until: 0, lockouts: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => {
          const windowOver = eb.and([
            eb('attempt_counters.window_started_at', '<=', now - windowMs),
            eb('attempt_counters.locked_until', '<=', now),
          ]);
          return {
            window_started_at: eb.case().when(windowOver).then(eb.val(now)).else(eb.ref('attempt_counters.window_started_at')).end(),
            failures: eb.case().when(windowOver).then(0).else(eb.ref('attempt_counters.failures')).end(),
            pending: eb
              .case()
              .when(eb.and([eb('attempt_counters.pending', '>', 0), eb('attempt_counters.pending_at', '<=', now - STALE_PENDING_MS)]))
              .then(0)
              .else(eb.ref('attempt_counters.pending'))
              .end(),
          };
        }),
      )
      .execute();
  }

  return {
    async reserveAttempt(key: string, now: number, limit: number, windowMs: number): Promise<boolean> {
      await ensureWindow(key, now, windowMs);
      const result = await db
        .updateTable('attempt_counters')
        .set((eb) => ({ pending: eb('pending', '+', 1), pending_at: now }))
        .where('key', '=', key)
        .where((eb) => eb(eb('failures', '+', eb.ref('pending')), '<', limit))
        .where('locked_until', '<=', now)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async releaseAttempt(key: string, options: { resetFailures?: boolean } = {}): Promise<void> {
      if (options.resetFailures === true) {
        // The slot back and the run of failures over, in one statement.
        await db
          .updateTable('attempt_counters')
          .set((eb) => ({ pending: eb.case().when('pending', '>', 0).then(eb('pending', '-', 1)).else(0).end(), failures: 0 }))
          .where('key', '=', key)
          .execute();
        return;
      }
      await db
        .updateTable('attempt_counters')
        .set((eb) => ({ pending: eb('pending', '-', 1) }))
        .where('key', '=', key)
        .where('pending', '>', 0)
        .execute();
    },

    async isAttemptAllowed(key: string, now: number, limit: number, windowMs: number): Promise<boolean> {
      await ensureWindow(key, now, windowMs);
      const row = await db
        .selectFrom('attempt_counters')
        .select(['failures', 'locked_until'])
        .where('key', '=', key)
        .executeTakeFirst();
      return row !== undefined && row.failures < limit && Number(row.locked_until) <= now;
    },

    async recordAttemptFailure(key: string, _now: number, reserved: boolean): Promise<void> {
      await db
        .updateTable('attempt_counters')
        .set((eb) => ({
          failures: eb('failures', '+', 1),
          // Settles the slot taken by reserveAttempt (never below zero).
          pending: reserved ? eb.case().when('pending', '>', 0).then(eb('pending', '-', 1)).else(0).end() : eb.ref('pending'),
        }))
        .where('key', '=', key)
        .execute();
    },

    async findAttemptCounter(key: string): Promise<AttemptCounter | null> {
      const row = await db.selectFrom('attempt_counters').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return null;
      return {
        failures: row.failures,
        pending: row.pending,
        windowStartedAt: Number(row.window_started_at),
        lockedUntil: Number(row.locked_until),
        lockouts: row.lockouts,
      };
    },

    async lockAttemptCounter(
      key: string,
      now: number,
      lock: { until: number; seen: number; level: number; limit: number },
    ): Promise<boolean> {
      const result = await db
        .updateTable('attempt_counters')
        .set({ locked_until: lock.until, lockouts: lock.level, failures: 0, window_started_at: now })
        .where('key', '=', key)
        .where('failures', '>=', lock.limit)
        .where('locked_until', '<=', now)
        .where('lockouts', '=', lock.seen)
        .executeTakeFirst();
      return changedRows(result) === 1;
    },

    async resetAttemptFailures(key: string): Promise<void> {
      await db.updateTable('attempt_counters').set({ failures: 0 }).where('key', '=', key).execute();
    },

    async clearAttemptCounter(key: string): Promise<void> {
      await db.deleteFrom('attempt_counters').where('key', '=', key).execute();
    },
  };
}
