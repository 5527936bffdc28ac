#!/usr/bin/env node
// Runs the compiled CLI (dist/, made by `npm run build`; `npm start` builds it when missing or stale).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('Twofold is not built yet: run "npm run build" (or start it with "npm start", which builds first).\n');
  process.exit(1);
}
await import(entry.href);
