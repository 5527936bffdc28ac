/**
 * The server under load, alone in its own process so that its memory figures are its own and the
 * load generator does not share its event loop. Started by bench/http.ts with an IPC channel:
 * it answers `memory` requests and stops on `stop`.
 */
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';

export interface MemorySnapshot {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  /** Highest RSS seen by the 100 ms sampler since the last `reset-peak`. */
  peakRssMB: number;
}

export type ParentMessage = { type: 'memory'; gc: boolean; id: number } | { type: 'reset-peak' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; url: string; startupMs: number }
  | { type: 'memory'; id: number; memory: MemorySnapshot }
  | { type: 'error'; message: string };

const MB = 1024 * 1024;
const toMB = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/server-process.ts is started by bench/run.ts (it needs an IPC channel)');
  const started = performance.now();
  // The parent passes a complete TWOFOLD_* environment; loadConfig validates it as in production.
  const server = await startServer(loadConfig(process.env), { print: () => {} });
  const startupMs = Math.round(performance.now() - started);

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  sampler.unref();

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (message.gc && gc) gc();
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      send({
        type: 'memory',
        id: message.id,
        memory: {
          rssMB: toMB(usage.rss),
          heapUsedMB: toMB(usage.heapUsed),
          heapTotalMB: toMB(usage.heapTotal),
          externalMB: toMB(usage.external),
          peakRssMB: toMB(peakRss),
        },
      });
    } else if (message.type === 'reset-peak') {
      peakRss = process.memoryUsage.rss();
    } else if (message.type === 'stop') {
      clearInterval(sampler);
      void server.stop().finally(() => process.disconnect());
    }
  });
  send({ type: 'ready', url: server.url, startupMs });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
