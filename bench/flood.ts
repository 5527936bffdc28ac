import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ADMIN_PASSWORD, ServerProcess, benchServerEnv, expectCall, loginToken, pendingCleanups } from './http.ts';
import { percentile, round } from './stats.ts';

const SPRAYER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sprayer.mjs');
const MEASURED_USERS = 4;
const SPRAY_ADDRESSES = 200;
const PASSWORD = 'flood-user-password';

export interface FloodResults {
  dialect: 'sqlite';
  cores: number;
  quiet: { logins: number; p50Ms: number; p99Ms: number; refused: number };
  flood: { logins: number; p50Ms: number; p99Ms: number; refused: number };
  sprayer: { addresses: number; targetPerSecond: number; sent: number; byStatus: Record<string, number> };
  /** Target (docs/benchmarks.md): p99 at most 2x quiet, none of the measured logins refused. */
  p99Ratio: number;
}

/** Known-device logins in a closed loop, one worker per user, each sending its newest deviceToken. */
async function measure(base: string, users: Array<{ username: string; deviceToken: string }>, durationMs: number) {
  const latencies: number[] = [];
  let refused = 0;
  const deadline = performance.now() + durationMs;
  await Promise.all(
    users.map(async (user) => {
      while (performance.now() < deadline) {
        const began = performance.now();
        const response = await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user.username, password: PASSWORD, client: 'desktop', deviceToken: user.deviceToken }),
        });
        const json = (await response.json()) as { status?: string; deviceToken?: string };
        latencies.push(performance.now() - began);
        if (response.status === 200 && json.status === 'ok' && json.deviceToken) user.deviceToken = json.deviceToken;
        else refused += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { logins: latencies.length, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), refused };
}

function runSprayer(base: string, rate: number, durationMs: number, names: string[]): Promise<{ sent: number; byStatus: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPRAYER, base, String(SPRAY_ADDRESSES), String(rate), String(durationMs), names.join(',')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as { sent: number; byStatus: Record<string, number> }) : reject(new Error(`sprayer exited with ${code}`))));
  });
}

/**
 * Password spraying from 200 loopback addresses while known-device users log in (issue 11): the
 * sprayer sends about 3x what the machine can hash (cores x 1000 / the quiet login's p50 ms).
 * SQLite only, about half a minute.
 */
export async function runFloodBenchmark(options: { quick: boolean }, log: (line: string) => void): Promise<FloodResults> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-flood-'));
  const env = { ...benchServerEnv('sqlite', dataDir, `bench_${randomBytes(6).toString('hex')}`, ''), TWOFOLD_TRUST_PROXY_HOPS: '0' };
  let server: ServerProcess | null = null;
  const cleanup = async (): Promise<void> => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  pendingCleanups.add(cleanup);
  try {
    server = await ServerProcess.start(env);
    const base = server.url;
    const admin = await loginToken(base, 'admin', ADMIN_PASSWORD);
    await expectCall(base, 'POST', '/api/v1/me/reauth', 200, { body: { password: ADMIN_PASSWORD }, token: admin });
    const users: Array<{ username: string; deviceToken: string }> = [];
    for (let i = 0; i < MEASURED_USERS; i++) {
      const username = String(1001 + i);
      await expectCall(base, 'POST', '/api/v1/admin/users', 201, { body: { username, password: PASSWORD }, token: admin });
      // The first login makes this client a known device of the account.
      const first = await expectCall(base, 'POST', '/api/v1/auth/login', 200, { body: { username, password: PASSWORD, client: 'desktop' } });
      users.push({ username, deviceToken: String(first.deviceToken) });
    }
    const seconds = options.quick ? 2_000 : 8_000;
    await measure(base, users, 1_000); // warm-up
    const quiet = await measure(base, users, seconds);
    const cores = os.availableParallelism();
    const rate = Math.round((3 * cores * 1000) / Math.max(1, quiet.p50Ms));
    log(`  quiet: ${quiet.logins} logins, p50 ${quiet.p50Ms} ms, p99 ${quiet.p99Ms} ms; spraying ${rate}/s from ${SPRAY_ADDRESSES} addresses`);
    const sprayer = runSprayer(base, rate, seconds + 3_000, users.map((u) => u.username));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // let the queue fill
    const flood = await measure(base, users, seconds);
    const sprayed = await sprayer;
    log(`  flood: ${flood.logins} logins, p50 ${flood.p50Ms} ms, p99 ${flood.p99Ms} ms, ${flood.refused} refused; sprayer ${JSON.stringify(sprayed)}`);
    return {
      dialect: 'sqlite',
      cores,
      quiet,
      flood,
      sprayer: { addresses: SPRAY_ADDRESSES, targetPerSecond: rate, ...sprayed },
      p99Ratio: round(flood.p99Ms / Math.max(1, quiet.p99Ms), 2),
    };
  } finally {
    pendingCleanups.delete(cleanup);
    await cleanup();
  }
}
