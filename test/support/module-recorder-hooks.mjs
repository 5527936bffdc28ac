// Loader hooks of module-recorder.mjs (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

let log = '';

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  appendFileSync(log, `esm ${url}\n`);
  return nextLoad(url, context);
}
