import { sql, type Kysely, type Selectable } from 'kysely';
import type { ClientKind, Device } from '../../core/types.ts';
import type { Database, DevicesTable } from '../schema.ts';
import type { DeviceStore, NewDevice } from '../store.ts';
import { changedRows } from './rows.ts';

/** The attempt-counter key of a known device's own password budget (flows/shared/attempt-limits.ts). */
export const DEVICE_ATTEMPT_PREFIX = 'password:device:';

function toDevice(row: Selectable<DevicesTable>): Device {
  return {
    id: row.id,
    userId: row.user_id,
    client: row.client as ClientKind,
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    trustedAt: row.trusted_at === null ? null : Number(row.trusted_at),
  };
}

/** Devices kept per account (known and trusted together); see createDevice. */
export const MAX_DEVICES_PER_ACCOUNT = 50;

export function deviceQueries(db: Kysely<Database>): DeviceStore {
  // The attempt-counter keys of the account's devices, for the lock overview and the unlock.
  const deviceKeys = (userId: string) =>
    db
      .selectFrom('devices')
      .select(sql<string>`${DEVICE_ATTEMPT_PREFIX} || devices.id`.as('key'))
      .where('user_id', '=', userId);

  return {
    async createDevice(device: NewDevice): Promise<void> {
      await db
        .insertInto('devices')
        .values({
          id: device.id,
          user_id: device.userId,
          token_hash: device.tokenHash,
          client: device.client,
          name: device.name,
          created_at: device.createdAt,
          last_used_at: device.lastUsedAt,
          trusted_at: device.trustedAt,
        })
        .execute();
      // Every completed login leaves a device, so one account could otherwise mint rows without
      // end: past the newest MAX_DEVICES_PER_ACCOUNT, the least recently used known-only devices go
      // (a trusted one stays until its trust ends; forgetting one only asks for a code again).
      // Counted first (an index lookup): the delete, with its subquery, runs only past the cap.
      const { count } = await db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('user_id', '=', device.userId)
        .executeTakeFirstOrThrow();
      if (Number(count) <= MAX_DEVICES_PER_ACCOUNT) return;
      await db
        .deleteFrom('devices')
        .where('user_id', '=', device.userId)
        .where('trusted_at', 'is', null)
        .where('id', 'not in', (eb) =>
          eb.selectFrom('devices').select('id').where('user_id', '=', device.userId).orderBy('last_used_at', 'desc').orderBy('id', 'desc').limit(MAX_DEVICES_PER_ACCOUNT),
        )
        .execute();
    },

    async findDeviceByTokenHash(tokenHash: string): Promise<Device | null> {
      const row = await db.selectFrom('devices').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row === undefined ? null : toDevice(row);
    },

    async renewDevice(id, userId, renewal): Promise<boolean> {
      let query = db
        .updateTable('devices')
        .set({
          token_hash: renewal.newTokenHash,
          last_used_at: renewal.now,
          ...(renewal.trust ? { trusted_at: renewal.now } : {}),
        })
        .where('id', '=', id)
        .where('user_id', '=', userId);
      // Standing in for the second step: only while still trusted (an end of trust committed
      // first wins), and only by the holder of the token read (one of two racing logins wins).
      if (renewal.asTrusted !== undefined) {
        query = query
          .where('token_hash', '=', renewal.asTrusted.tokenHash)
          .where('trusted_at', 'is not', null)
          .where('trusted_at', '>', renewal.asTrusted.trustedAfter);
      }
      return changedRows(await query.executeTakeFirst()) === 1;
    },

    async listDevices(userId: string): Promise<Device[]> {
      const rows = await db.selectFrom('devices').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toDevice);
    },

    async deleteDevice(userId: string, id: string): Promise<boolean> {
      return changedRows(await db.deleteFrom('devices').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst()) === 1;
    },

    async deleteDevices(userId: string, options: { trustedOnly: boolean }): Promise<number> {
      let query = db.deleteFrom('devices').where('user_id', '=', userId);
      if (options.trustedOnly) query = query.where('trusted_at', 'is not', null);
      return changedRows(await query.executeTakeFirst());
    },

    async endDeviceTrust(userId: string): Promise<number> {
      // One statement for every instance at once: no device of the account skips the second
      // step after it commits, whichever instance the next login reaches.
      const result = await db.updateTable('devices').set({ trusted_at: null }).where('user_id', '=', userId).where('trusted_at', 'is not', null).executeTakeFirst();
      return changedRows(result);
    },

    async findDeviceLockedUntil(userId: string, now: number): Promise<number | null> {
      const row = await db
        .selectFrom('attempt_counters')
        .select((eb) => eb.fn.max('locked_until').as('until'))
        .where('key', 'in', deviceKeys(userId))
        .where('locked_until', '>', now)
        .executeTakeFirst();
      return row?.until === null || row?.until === undefined ? null : Number(row.until);
    },

    async clearDeviceAttemptCounters(userId: string): Promise<void> {
      await db.deleteFrom('attempt_counters').where('key', 'in', deviceKeys(userId)).execute();
    },

    async deleteIdleDevices(lastUsedBefore: number): Promise<number> {
      return changedRows(await db.deleteFrom('devices').where('last_used_at', '<', lastUsedBefore).executeTakeFirst());
    },
  };
}
