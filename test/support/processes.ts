import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO_ROOT, 'bin/twofold.js');
const TEST_SERVER = path.join(REPO_ROOT, 'test/support/test-server.ts');

export interface Instance {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for checking what reaches the logs. */
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `twofold serve` as its own OS process and waits until it listens. */
export async function startInstance(env: Record<string, string>, timeoutMs = 30_000): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, TWOFOLD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return waitUntilListening(child, timeoutMs);
}

export interface TestServerInstance extends Instance {
  /** Moves the server's clock to the system time plus `offsetMs`; resolves with the server's now. */
  setClockOffset(offsetMs: number): Promise<number>;
  /** Heap in use after two full garbage collections (needs exposeGC). */
  heap(): Promise<{ heapUsed: number; rss: number }>;
}

/**
 * The server of test/support/test-server.ts: the same service as `twofold serve`, on a clock the
 * test sets, with a heap probe; both over an IPC channel.
 */
export async function startTestServer(
  env: Record<string, string>,
  options: { clockOffsetMs?: number; exposeGC?: boolean; timeoutMs?: number } = {},
): Promise<TestServerInstance> {
  const child = spawn(
    process.execPath,
    [...(options.exposeGC ? ['--expose-gc'] : []), '--import', 'tsx', TEST_SERVER, `--clock-offset-ms=${options.clockOffsetMs ?? 0}`],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, TWOFOLD_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  // Generous: soaks start several of these on a shared two-core machine.
  const instance = await waitUntilListening(child, options.timeoutMs ?? 90_000);
  const ask = <T>(message: object, type: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (reply: { type: string }) => {
        if (reply.type !== type) return;
        child.off('message', onMessage);
        resolve(reply as T);
      };
      child.on('message', onMessage);
      child.send(message, (error) => error && reject(error));
    });
  return {
    ...instance,
    setClockOffset: async (offsetMs) => (await ask<{ now: number }>({ type: 'set-clock-offset', offsetMs }, 'clock')).now,
    heap: async () => {
      const reply = await ask<{ heapUsed: number; rss: number; gcExposed: boolean }>({ type: 'heap' }, 'heap');
      if (!reply.gcExposed) throw new Error('start the test server with exposeGC to measure its heap');
      return { heapUsed: reply.heapUsed, rss: reply.rss };
    },
  };
}

async function waitUntilListening(child: ChildProcess, timeoutMs: number): Promise<Instance> {
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that never listened must not live on and write into the test's data folder.
      child.kill('SIGKILL');
      reject(new Error(`instance did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      // The newest 256 KiB: a soak's request log must not grow the test process without bound.
      output = (output + chunk.toString()).slice(-256 * 1024);
      const match = /"url":"(http:\/\/[^"]+)".*"msg":"Twofold is listening"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function call(
  baseUrl: string,
  method: string,
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}
