import type { CoreResults } from './core.ts';
import type { DialectResults } from './http.ts';
import type { ScaleResults } from './scale.ts';
import type { SecondStepResults } from './second-step.ts';
import type { TargetCheck } from './targets.ts';

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryGB: number;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? cell.toLocaleString('en-US') : cell)))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => String(row[column] ?? '').length)));
  const line = (row: (string | number)[]): string =>
    row.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]!) : String(cell).padStart(widths[column]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatReport(
  machine: Machine,
  core: CoreResults | null,
  dialects: DialectResults[],
  secondStep: SecondStepResults[],
  scale: ScaleResults | null,
  checks: TargetCheck[],
  skipped: string[],
): string {
  const parts: string[] = [];
  parts.push(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemoryGB} GB, Node ${machine.node} (${machine.platform})`);
  if (core) {
    parts.push(
      '\nCore (median of rounds)\n' +
        table(
          ['operation', 'ops/s', 'min', 'max'],
          core.ops.map((o) => [o.name, o.opsPerSec, o.minOpsPerSec, o.maxOpsPerSec]),
        ),
    );
    parts.push(
      '\nRatios (median of alternating rounds in this run)\n' +
        table(
          ['comparison', 'ratio', 'min', 'max', 'rounds'],
          core.ratios.map((r) => [r.name, `${r.ratio}x`, `${r.minRatio}x`, `${r.maxRatio}x`, r.rounds]),
        ),
    );
    const p = core.argon2.parameters;
    parts.push(
      `\nArgon2id (m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}), sequential latency\n` +
        table(
          ['operation', 'samples', 'p50 ms', 'p95 ms', 'max ms', 'ops/s in parallel'],
          core.argon2.results.map((r) => [
            r.name,
            r.samples,
            r.p50Ms,
            r.p95Ms,
            r.maxMs,
            r.throughputPerSec === undefined ? '' : `${r.throughputPerSec} (${r.inFlight} in flight)`,
          ]),
        ),
    );
  }
  if (dialects.length > 0) {
    const rows = dialects.flatMap((d) => d.loads.map((l) => [d.dialect, l.name, l.concurrency, l.reqPerSec, l.p50Ms, l.p95Ms, l.p99Ms, l.errors]));
    parts.push(`\nHTTP (closed loop; median of ${dialects[0]!.loads[0]?.rounds.length ?? 0} rounds per figure)\n` + table(['dialect', 'path', 'conc', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'], rows));
    const memoryRows = dialects.flatMap((d) => [
      [d.dialect, 'after start-up', d.memory.afterStartup.rssMB, d.memory.afterStartup.heapUsedMB, d.memory.afterStartup.heapTotalMB, d.memory.afterStartup.externalMB],
      [d.dialect, 'after load', d.memory.afterLoad.rssMB, d.memory.afterLoad.heapUsedMB, d.memory.afterLoad.heapTotalMB, d.memory.afterLoad.externalMB],
      [d.dialect, 'after load + GC', d.memory.afterLoadGC.rssMB, d.memory.afterLoadGC.heapUsedMB, d.memory.afterLoadGC.heapTotalMB, d.memory.afterLoadGC.externalMB],
      [d.dialect, 'peak RSS during load', d.memory.afterLoad.peakRssMB, '', '', ''],
    ]);
    parts.push('\nServer memory (MB, process.memoryUsage() in the server process)\n' + table(['dialect', 'when', 'RSS', 'heap used', 'heap total', 'external'], memoryRows));
  }
  if (dialects.length > 0) {
    parts.push(
      '\nServer event-loop delay while logins ran at full rate (monitorEventLoopDelay)\n' +
        table(['dialect', 'p50 ms', 'p99 ms', 'max ms'], dialects.map((d) => [d.dialect, round1(d.loopDelayDuringLogins.p50Ms), round1(d.loopDelayDuringLogins.p99Ms), round1(d.loopDelayDuringLogins.maxMs)])),
    );
  }
  if (secondStep.length > 0) {
    const rows = secondStep.flatMap((s) =>
      s.rows.map((r) => [s.dialect, r.concurrency, r.requests, r.real.reqPerSec, r.real.p50Ms, r.real.p99Ms, r.bare.reqPerSec, r.bare.p99Ms, `${r.throughputRatio}x`, `${r.p99Ratio}x`, r.real.errors]),
    );
    parts.push(
      '\nSecond step (prepared challenge + right TOTP code → session) against the bare route, one run\n' +
        table(['dialect', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'bare p99', 'ratio', 'p99 ratio', 'errors'], rows),
    );
  }
  if (scale !== null) {
    parts.push(
      '\nScale (SQLite, 16 clients; p50 / p99 ms)\n' +
        table(
          ['accounts', 'DB MB', 'B/account', 'password step', 'second step', 'GET /me', 'RSS MB'],
          scale.levels.map((l) => [
            l.accounts,
            l.databaseMB,
            l.bytesPerAccount,
            `${l.passwordStep.p50Ms} / ${l.passwordStep.p99Ms}`,
            `${l.secondStep.p50Ms} / ${l.secondStep.p99Ms}`,
            `${l.me.p50Ms} / ${l.me.p99Ms}`,
            l.rssAfterLoadMB,
          ]),
        ),
    );
  }
  if (checks.length > 0) {
    parts.push('\nTargets (docs/benchmarks.md)\n' + table(['target', 'measured', ''], checks.map((c) => [c.target, c.measured, c.met ? 'met' : 'MISSED'])));
  }
  for (const reason of skipped) parts.push(`\nSkipped: ${reason}`);
  return parts.join('\n');
}
