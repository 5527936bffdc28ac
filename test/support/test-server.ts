// A test-only entry point: `twofold serve` on a clock the test moves, and a heap probe, both
// driven over the IPC channel of the spawning test (test/support/processes.ts). It lives under
// test/, which no production build or `npm start` loads, so no production setting can move the
// service's clock: the offset exists only in this file.
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';

export type TestServerMessage = { type: 'set-clock-offset'; offsetMs: number } | { type: 'heap' };
export type TestServerReply = { type: 'clock'; now: number } | { type: 'heap'; heapUsed: number; rss: number; gcExposed: boolean };

// The starting offset comes as an argument (a restarted process keeps the test's time).
const offsetArgument = process.argv.find((arg) => arg.startsWith('--clock-offset-ms='));
let offsetMs = offsetArgument === undefined ? 0 : Number(offsetArgument.split('=')[1]);
const clock = (): number => Date.now() + offsetMs;

const server = await startServer(loadConfig(), { clock });

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: TestServerMessage) => {
  if (message.type === 'set-clock-offset') {
    offsetMs = message.offsetMs;
    process.send?.({ type: 'clock', now: clock() } satisfies TestServerReply);
  } else if (message.type === 'heap') {
    // Twice: the first pass can leave objects that only a second one frees (finalizers, weak refs).
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    process.send?.({ type: 'heap', heapUsed: usage.heapUsed, rss: usage.rss, gcExposed: gc !== undefined } satisfies TestServerReply);
  }
});
// The IPC channel must not keep a stopped server alive.
process.channel?.unref();

const shutdown = (): void => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
