// Preloaded with `node --import` into a process under test: writes every module the process
// loads to the file named by TWOFOLD_MODULE_LOG, one per line, so a test can prove what the
// process did (and did not) load. ESM loads are seen by a loader hook; CommonJS modules
// (Fastify, better-sqlite3, ...) are read from require.cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.TWOFOLD_MODULE_LOG;
if (!log) throw new Error('module-recorder needs TWOFOLD_MODULE_LOG');
register('./module-recorder-hooks.mjs', import.meta.url, { data: { log } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  appendFileSync(log, Object.keys(require.cache).map((file) => `cjs ${file}\n`).join(''));
});
