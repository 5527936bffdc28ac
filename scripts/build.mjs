#!/usr/bin/env node
// Builds what the service runs: src/ compiled by tsc into dist/, and the web client by Vite into
// web/dist/. With --if-stale (what `npm start` and `npm run cli` use) each part is rebuilt only
// when its inputs changed since it was last built, judged by a hash of their contents (mtimes
// are useless after a clone or checkout), so a second start with nothing changed builds nothing.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const ifStale = args.has('--if-stale');
const quiet = args.has('--quiet');

const targets = [
  {
    name: 'service',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    output: 'dist',
    marker: 'dist/cli/main.js',
    tool: 'node_modules/typescript/bin/tsc',
    args: ['-p', 'tsconfig.build.json'],
  },
  {
    name: 'web client',
    inputs: ['web', 'locales', 'package-lock.json'],
    exclude: ['web/dist'],
    output: 'web/dist',
    marker: 'web/dist/index.html',
    tool: 'node_modules/vite/bin/vite.js',
    args: ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
  },
];

function listFiles(relative, exclude) {
  const absolute = path.join(root, relative);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return [relative];
  if (exclude.includes(relative)) return [];
  return readdirSync(absolute)
    .sort()
    .flatMap((entry) => listFiles(path.posix.join(relative, entry), exclude));
}

function fingerprint(target) {
  const hash = createHash('sha256');
  for (const file of target.inputs.flatMap((input) => listFiles(input, target.exclude ?? []))) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function log(line) {
  if (!quiet) process.stderr.write(`${line}\n`);
}

let failed = false;
for (const target of targets) {
  const stampFile = path.join(root, target.output, '.build-fingerprint');
  const wanted = fingerprint(target);
  const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : null;
  if (ifStale && current === wanted && existsSync(path.join(root, target.marker))) continue;
  if (!existsSync(path.join(root, target.tool))) {
    // A production install (npm ci --omit=dev) can run a build shipped with it, never make one.
    process.stderr.write(`Cannot build the ${target.name}: ${target.tool} is missing. Run "npm ci" (with dev dependencies) first.\n`);
    failed = true;
    continue;
  }
  log(`Building the ${target.name} (${target.output}/)...`);
  rmSync(path.join(root, target.output), { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [path.join(root, target.tool), ...target.args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    process.stderr.write(`Building the ${target.name} failed.\n`);
    failed = true;
    continue;
  }
  // Written last: an interrupted build leaves no fingerprint and is redone on the next start.
  writeFileSync(stampFile, `${wanted}\n`);
}
process.exitCode = failed ? 1 : 0;
