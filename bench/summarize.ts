/**
 * Medians across several `npm run bench -- --out=...` files, the figures docs/benchmarks.md quotes:
 *
 *   npx tsx bench/summarize.ts run1.json run2.json run3.json
 */
import { readFileSync } from 'node:fs';
import type { CoreResults } from './core.ts';
import type { DialectResults } from './http.ts';
import { table } from './report.ts';
import { median, round } from './stats.ts';

interface RunFile {
  machine: { cpus: number; cpuModel: string; node: string };
  core: CoreResults | null;
  http: DialectResults[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: tsx bench/summarize.ts <results.json>...');
  process.exit(2);
}
const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunFile);
const m = (values: number[]): number => round(median(values), 2);
const first = runs[0]!;
console.log(`${runs.length} runs on ${first.machine.cpus} × ${first.machine.cpuModel}, Node ${first.machine.node}; medians (min–max)\n`);

const spread = (values: number[]): string => `${m(values).toLocaleString('en-US')} (${Math.min(...values).toLocaleString('en-US')}–${Math.max(...values).toLocaleString('en-US')})`;

const coreRuns = runs.filter((r) => r.core !== null);
if (coreRuns[0]?.core) {
  const names = coreRuns[0].core.ops.map((o) => o.name);
  console.log(table(['operation', 'ops/s'], names.map((name) => [name, spread(coreRuns.map((r) => r.core!.ops.find((o) => o.name === name)!.opsPerSec))])));
  const argon = coreRuns[0].core.argon2.results.map((a) => a.name);
  console.log(
    '\n' +
      table(
        ['operation', 'p50 ms', 'p95 ms', 'parallel ops/s'],
        argon.map((name) => {
          const rows = coreRuns.map((r) => r.core!.argon2.results.find((a) => a.name === name)!);
          const tp = rows.map((r) => r.throughputPerSec).filter((v): v is number => v !== undefined);
          return [name, spread(rows.map((r) => r.p50Ms)), spread(rows.map((r) => r.p95Ms)), tp.length ? spread(tp) : ''];
        }),
      ),
  );
}

const httpRows: string[][] = [];
const memoryRows: string[][] = [];
for (const dialect of first.http.map((d) => d.dialect)) {
  const ds = runs.map((r) => r.http.find((d) => d.dialect === dialect)).filter((d): d is DialectResults => d !== undefined);
  for (const name of ds[0]!.loads.map((l) => l.name)) {
    const ls = ds.map((d) => d.loads.find((l) => l.name === name)!);
    httpRows.push([dialect, name, spread(ls.map((l) => l.reqPerSec)), spread(ls.map((l) => l.p50Ms)), spread(ls.map((l) => l.p95Ms)), spread(ls.map((l) => l.p99Ms)), String(ls.reduce((s, l) => s + l.errors, 0))]);
  }
  memoryRows.push(
    [dialect, 'after start-up', spread(ds.map((d) => d.memory.afterStartup.rssMB)), spread(ds.map((d) => d.memory.afterStartup.heapUsedMB))],
    [dialect, 'after load', spread(ds.map((d) => d.memory.afterLoad.rssMB)), spread(ds.map((d) => d.memory.afterLoad.heapUsedMB))],
    [dialect, 'after load + GC', spread(ds.map((d) => d.memory.afterLoadGC.rssMB)), spread(ds.map((d) => d.memory.afterLoadGC.heapUsedMB))],
    [dialect, 'peak during load', spread(ds.map((d) => d.memory.afterLoad.peakRssMB)), ''],
  );
}
if (httpRows.length > 0) {
  console.log('\n' + table(['dialect', 'path', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'], httpRows));
  console.log('\n' + table(['dialect', 'when', 'RSS MB', 'heap used MB'], memoryRows));
}
