/**
 * The server under load, alone in its own process so that its memory figures are its own and the
 * load generator does not share its event loop. Started by bench/http.ts with an IPC channel:
 * it answers `memory` requests and stops on `stop` (messages: bench/server-messages.ts).
 *
 * Plain JavaScript running the compiled service (dist/, `npm run build`): the figures are those
 * of what ships, not of TypeScript compiled on the fly by tsx.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
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
  // The parent moves this process's clock on (`set-clock-offset`) so one account can answer a
  // fresh TOTP step in every round without waiting 30 s; `twofold serve` has no such seam.
  let clockOffsetMs = 0;
  const clock = () => Date.now() + clockOffsetMs;
  // The parent passes a complete TWOFOLD_* environment; loadConfig validates it as in production.
  const server = await startServer(loadConfig(process.env), { print: () => {}, clock });
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
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
    } else if (message.type === 'set-clock-offset') {
      clockOffsetMs = message.offsetMs;
      send({ type: 'clock', id: message.id, now: clock() });
    } else if (message.type === 'loop-delay') {
      // Nanoseconds in the histogram; the figure of interest is how long a callback waited.
      send({ type: 'loop-delay', id: message.id, p50Ms: loopDelay.percentile(50) / 1e6, p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 });
      if (message.reset) loopDelay.reset();
    } else if (message.type === 'profile') {
      // A V8 CPU profile of the measured part only (TWOFOLD_BENCH_CPU_PROF in bench/http.ts).
      void profile(message).then(() => send({ type: 'profiled', id: message.id }));
    } else if (message.type === 'reset-peak') {
      peakRss = process.memoryUsage.rss();
    } else if (message.type === 'stop') {
      clearInterval(sampler);
      loopDelay.disable();
      void server.stop().finally(() => process.disconnect());
    }
  });
  send({ type: 'ready', url: server.url, startupMs });
}

/** @type {Session | null} */
let inspector = null;
/** @param {{ action: 'start' | 'stop'; file?: string }} message */
async function profile(message) {
  if (message.action === 'start') {
    inspector = new Session();
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  } else if (inspector !== null) {
    const { profile: result } = await inspector.post('Profiler.stop');
    if (message.file) writeFileSync(message.file, JSON.stringify(result));
    inspector.disconnect();
    inspector = null;
  }
}

main().catch((error) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
