import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/flows/bootstrap-admin.ts';
import { sweepExpired } from '../../src/flows/sweep-expired.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/runtime/services.ts';
import { ADMIN_PASSWORD, DIALECTS, createTestEnvironment, type TestEnvironment } from '../support/harness.ts';
import { startInstance } from '../support/processes.ts';
import { openRawDatabase } from '../support/raw-database.ts';
import { loadFixture } from '../support/release-276272a.ts';

const DAY = 24 * 60 * 60_000;

// Issue 10, "Audit at scale": indexes for the administrator's filters, a retention period, and
// every event streamed as a JSON line for a SIEM.
describe.each(DIALECTS)('audit at scale (%s)', (dialect) => {
  let environment: TestEnvironment;
  let services: Services;
  let now = Date.UTC(2026, 0, 1);
  const streamed = () => path.join(environment.dataDir, 'audit.jsonl');

  beforeAll(async () => {
    environment = createTestEnvironment(dialect);
    environment = { ...environment, config: { ...environment.config, auditLog: { kind: 'file', path: path.join(environment.dataDir, 'audit.jsonl') }, auditRetentionDays: 30 } };
    services = await createServices(environment.config, { clock: () => now });
    await bootstrapAdmin(services.flows, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await services.close();
    await environment.dropDatabase();
  });

  it('indexes the audit log by account, by type and by time', async () => {
    const names =
      dialect === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'audit_events'`.execute(services.database.db)).rows
        : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'audit_events' and schemaname = current_schema()`.execute(services.database.db)).rows;
    expect(names.map((n) => n.name)).toEqual(expect.arrayContaining(['audit_events_at', 'audit_events_user_at', 'audit_events_type_at']));
  });

  it('streams every event as a JSON line, and sweeps events older than the retention period', async () => {
    const app = await buildApp({ flows: services.flows });
    const login = (password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password, client: 'desktop' } });
    expect((await login('not-the-password')).statusCode).toBe(401);
    now += 31 * DAY;
    expect((await login(ADMIN_PASSWORD)).statusCode).toBe(200);
    await app.close();

    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from audit_events`.execute(services.database.db)).rows[0]!.n);
    const before = await count();
    const { auditEventsDeleted } = await sweepExpired(services.flows, environment.config.auditRetentionDays);
    // The failed login (and the bootstrap events) are 31 days old; the successful login is today's.
    expect(auditEventsDeleted).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(before - auditEventsDeleted);
    const left = await services.flows.store.listAuditEvents({ limit: 100 });
    expect(left.every((e) => e.at >= now - 30 * DAY)).toBe(true);
    expect(left.some((e) => e.type === 'login.password' && e.outcome === 'success')).toBe(true);

    // Streamed as they happened, whatever the retention later deleted (the file stream writes
    // asynchronously: read once the last event has reached the file).
    const read = () => readFileSync(streamed(), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    await expect.poll(() => read().filter((l) => l.type === 'login.password').length).toBe(2);
    const lines = read();
    expect(lines.filter((l) => l.type === 'login.password').map((l) => l.outcome)).toEqual(['failure', 'success']);
    expect(lines.at(-1)).toMatchObject({ type: 'login.password', outcome: 'success', username: 'admin', client: 'desktop', at: new Date(now).toISOString() });
    expect(readFileSync(streamed(), 'utf8')).not.toContain(ADMIN_PASSWORD);
  });

  it('adds the indexes to a database made by the release before them (276272a), keeping every event', async () => {
    // The committed fixture: migrations up to 004, audit events of five accounts written by that release's flows.
    const old = await loadFixture(dialect);
    const raw = openRawDatabase(old).db;
    const rows = await raw.selectFrom('audit_events').select(['id', 'user_id']).orderBy('id').execute();
    await raw.destroy();
    expect(rows.length).toBeGreaterThanOrEqual(20);
    const upgraded = await createServices(old.config);
    try {
      const db = upgraded.database.db;
      expect(await db.selectFrom('audit_events').select(['id', 'user_id']).orderBy('id').execute()).toEqual(rows);
      const names =
        dialect === 'sqlite'
          ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'audit_events'`.execute(db)).rows
          : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'audit_events' and schemaname = current_schema()`.execute(db)).rows;
      expect(names.map((n) => n.name)).toEqual(expect.arrayContaining(['audit_events_at', 'audit_events_user_at', 'audit_events_type_at']));
      // Each account's events are found through the new index, all of them and only theirs.
      const userIds = [...new Set(rows.map((r) => r.user_id).filter((id): id is string => id !== null))];
      expect(userIds.length).toBe(5);
      for (const userId of userIds) {
        const listed = await upgraded.flows.store.listAuditEvents({ limit: 100, userId });
        expect(listed.map((e) => e.id).sort()).toEqual(rows.filter((r) => r.user_id === userId).map((r) => r.id).sort());
      }
    } finally {
      await upgraded.close();
      await old.dropDatabase();
    }
  });
});

describe('TWOFOLD_AUDIT_LOG=stdout', () => {
  it('writes audit events to standard output as JSON lines, and a bad retention stops the start naming it', async () => {
    const environment = createTestEnvironment('sqlite', { TWOFOLD_AUDIT_LOG: 'stdout' });
    try {
      const instance = await startInstance(environment.env);
      await fetch(`${instance.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong-wrong', client: 'mobile' }) });
      await instance.stop();
      const events = instance
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{"id"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events.find((e) => e.type === 'login.password')).toMatchObject({ outcome: 'failure', username: 'admin', client: 'mobile' });

      await expect(startInstance({ ...environment.env, TWOFOLD_AUDIT_RETENTION_DAYS: '0' })).rejects.toThrow(/TWOFOLD_AUDIT_RETENTION_DAYS must be between 1 and 36500/);
    } finally {
      await environment.dropDatabase();
    }
  });
});
