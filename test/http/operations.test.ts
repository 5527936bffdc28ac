import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createTestEnvironment, login, startTestApp, type TestApp } from '../support/harness.ts';
import { call, startInstance } from '../support/processes.ts';

/** A TCP relay to PostgreSQL that the test can cut and restore, like a network outage. */
async function startRelay(): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(5432, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  await listen();
  return { port, cut, restore: listen, close: cut };
}

describe('operations on PostgreSQL: health, readiness, metrics, failing closed', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let t: TestApp;
  beforeAll(async () => {
    relay = await startRelay();
    t = await startTestApp(
      createTestEnvironment('postgres', { TWOFOLD_DATABASE_URL: `postgres://postgres@127.0.0.1:${relay.port}/test` }),
    );
  });
  afterAll(async () => {
    await t.stop();
    await relay.close();
    await t.environment.dropDatabase().catch(() => {});
  });

  it('reports alive and ready, and exposes Prometheus metrics for logins and second factors', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await login(t.app, 'admin', ADMIN_PASSWORD, 'web');
    await login(t.app, 'admin', 'wrong-password', 'mobile');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(/twofold_logins_total\{outcome="success",client="web"\} 1/);
    expect(metrics.body).toMatch(/twofold_logins_total\{outcome="failure",client="mobile"\} 1/);
    expect(metrics.body).toMatch(/twofold_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/auth\/login"/);
    expect(metrics.body).toMatch(/twofold_db_pool_connections\{state="total"\} [1-9]/);
  });

  it('fails closed with 503 while the database is unreachable, and recovers', async () => {
    await relay.cut();
    const refused = await login(t.app, 'admin', ADMIN_PASSWORD, 'desktop');
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(refused.body).not.toContain('token');
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    await relay.restore();
    const ok = await login(t.app, 'admin', ADMIN_PASSWORD, 'desktop');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok' });
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests on SIGTERM and exits cleanly', async () => {
    const environment = createTestEnvironment('sqlite');
    const instance = await startInstance(environment.env);
    try {
      const inFlight = Array.from({ length: 8 }, () =>
        call(instance.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD, client: 'desktop' } }),
      );
      // Stop once the server has received all eight (its log says so): Argon2 keeps them in flight.
      const received = () => (instance.output().match(/"url":"\/api\/v1\/auth\/login".*"msg":"incoming request"/g) ?? []).length;
      const deadline = Date.now() + 10_000;
      while (received() < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      instance.child.kill('SIGTERM');
      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(await instance.exited).toBe(0);
      expect(instance.output()).toContain('shutting down');
      await expect(call(instance.url, 'GET', '/healthz')).rejects.toThrow();
    } finally {
      await instance.stop('SIGKILL');
      await environment.dropDatabase();
    }
  });
});
