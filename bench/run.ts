/**
 * `npm run bench`: core primitives, then the real server over SQLite and PostgreSQL under a fixed
 * concurrency, then its memory. Bounded in time (about a minute and a half in all) and in request
 * count; all traffic goes to 127.0.0.1. Targets: docs/benchmarks.md.
 *
 *   npm run bench                           everything, writes bench/results/latest.json
 *   npm run bench -- --quick                short rounds, to check the harness (writes nothing)
 *   npm run bench -- --only=core            or --only=http, --only=second-step, --only=scale
 *   npm run bench -- --only=flood           password spraying from 200 addresses (only when asked for)
 *   npm run bench -- --dialects=sqlite      one dialect
 *   npm run bench -- --out=path.json        where to write the JSON
 *   npm run bench -- --strict               exit 1 when a target is missed
 *
 * PostgreSQL: TWOFOLD_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); the run
 * uses its own schema bench_<random> and drops it at the end.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCoreBenchmarks, type CoreResults } from './core.ts';
import { checkPostgres, pendingCleanups, runHTTPBenchmarks, type Dialect, type DialectResults } from './http.ts';
import { formatReport, type Machine } from './report.ts';
import { runScaleBenchmarks, type ScaleResults } from './scale.ts';
import { runSecondStepBenchmarks, type SecondStepResults } from './second-step.ts';
import { checkTargets } from './targets.ts';
import { runFloodBenchmark, type FloodResults } from './flood.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function describeMachine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1]!.trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalMemoryGB: Math.round(os.totalmem() / 1024 ** 3),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      dialects: { type: 'string', default: 'sqlite,postgres' },
      out: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick ?? false;
  const only = values.only;
  const parts = ['core', 'http', 'second-step', 'scale', 'flood'];
  if (only !== undefined && !parts.includes(only)) throw new Error(`--only must be one of ${parts.join(', ')}`);
  // The flood saturates the machine on purpose: it runs only when asked for by name.
  const runs = (part: string): boolean => (only === undefined && part !== 'flood') || only === part;
  const dialects = (values.dialects ?? '').split(',').filter((d) => d !== '') as Dialect[];
  for (const d of dialects) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`unknown dialect ${d}`);
  const postgresUrl = process.env.TWOFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const log = (line: string): void => console.log(line);

  const machine = describeMachine();
  const started = Date.now();
  log(`Twofold benchmarks${quick ? ' (quick)' : ''} on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}`);

  let core: CoreResults | null = null;
  if (runs('core')) {
    log('core primitives…');
    core = await runCoreBenchmarks({ quick });
  }

  const results: DialectResults[] = [];
  const secondStep: SecondStepResults[] = [];
  const skipped: string[] = [];
  const reachable: Dialect[] = [];
  for (const dialect of only === 'core' || only === 'flood' ? [] : dialects) {
    const problem = dialect === 'postgres' ? await checkPostgres(postgresUrl) : null;
    if (problem === null) reachable.push(dialect);
    else skipped.push(`postgres (${postgresUrl} unreachable: ${problem})`);
  }
  if (runs('http')) {
    for (const dialect of reachable) {
      log(`HTTP over ${dialect}…`);
      results.push(
        await runHTTPBenchmarks(
          dialect,
          {
            concurrency: 16,
            rounds: 3,
            fastRoundMs: quick ? 300 : 2_000,
            loginRoundMs: quick ? 500 : 3_000,
            maxRequestsPerRound: quick ? 2_000 : 50_000,
            postgresUrl,
          },
          log,
        ),
      );
    }
  }

  if (runs('second-step')) {
    for (const dialect of reachable) {
      log(`second step over ${dialect}, against a bare route…`);
      secondStep.push(await runSecondStepBenchmarks(dialect, { postgresUrl, quick }, log));
    }
  }

  let scale: ScaleResults | null = null;
  if (runs('scale')) {
    log('a million accounts (SQLite)…');
    scale = await runScaleBenchmarks({ quick }, log);
  }

  let flood: FloodResults | null = null;
  if (runs('flood')) {
    log('password spraying flood over sqlite…');
    flood = await runFloodBenchmark({ quick }, log);
    log(
      `\nFlood (${flood.cores} cores): known-device logins p50 ${flood.quiet.p50Ms} → ${flood.flood.p50Ms} ms, p99 ${flood.quiet.p99Ms} → ${flood.flood.p99Ms} ms (×${flood.p99Ratio}, target ≤ 2), ` +
        `${flood.flood.refused} refused (target 0); sprayer ${flood.sprayer.sent} requests at ${flood.sprayer.targetPerSecond}/s: ${JSON.stringify(flood.sprayer.byStatus)}`,
    );
  }

  const checks = checkTargets(core, results, secondStep, scale);
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`\n${formatReport(machine, core, results, secondStep, scale, checks, skipped)}\n\nTotal time: ${seconds} s`);

  const out = values.out ?? (quick ? undefined : path.join(REPO_ROOT, only === 'flood' ? 'bench/results/flood.json' : 'bench/results/latest.json'));
  if (out !== undefined) {
    mkdirSync(path.dirname(out), { recursive: true });
    const json = { date: new Date().toISOString(), quick, machine, totalSeconds: seconds, core, http: results, secondStep, scale, flood, targets: checks, skipped };
    writeFileSync(out, `${JSON.stringify(json, null, 1)}\n`);
    log(`Results written to ${path.relative(process.cwd(), out)}`);
  }
  const floodMissed = flood !== null && (flood.p99Ratio > 2 || flood.flood.refused > 0);
  if (values.strict && (checks.some((c) => !c.met) || floodMissed)) process.exitCode = 1;
}

// Ctrl-C in the middle still stops the server child and drops the PostgreSQL schema.
process.once('SIGINT', () => {
  void Promise.allSettled([...pendingCleanups].map((cleanup) => cleanup())).finally(() => process.exit(130));
});

main().catch(async (error: unknown) => {
  console.error(error);
  await Promise.allSettled([...pendingCleanups].map((cleanup) => cleanup()));
  process.exitCode = 1;
});
