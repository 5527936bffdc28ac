/**
 * The server under load, alone in its own process so that its memory figures are its own and the
 * load generator does not share its event loop. Started by bench/http.ts with an IPC channel:
 * it answers `memory` requests and stops on `stop` (messages: bench/server-messages.ts).
 *
 * Plain JavaScript running the compiled service (dist/, `npm run build`): the figures are those
 * of what ships, not of TypeScript compiled on the fly by tsx.
 */
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { loadConfig } from '../dist/config.js';
import { startServer } from '../dist/server.js';

const MB = 1024 * 1024;
const toMB = (bytes) => Math.round((bytes / MB) * 10) / 10;

/** @param {import('./server-messages.ts').ChildMessage} message */
function send(message) {
  process.send?.(message);
}

async function main() {
  if (!process.send) throw new Error('bench/server-process.mjs is started by bench/run.ts (it needs an IPC channel)');
  const started = performance.now();
  // The parent passes a complete TWOFOLD_* environment; loadConfig validates it as in production.
  const server = await startServer(loadConfig(process.env), { print: () => {} });
  const startupMs = Math.round(performance.now() - started);

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  sampler.unref();

  process.on('message', (/** @type {import('./server-messages.ts').ParentMessage} */ message) => {
    if (message.type === 'memory') {
      const gc = globalThis.gc;
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

main().catch((error) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
