import { performance } from 'node:perf_hooks';
import { median, percentile, round } from './stats.ts';

/** One request; resolves to whether the answer was the expected one. */
export type Request = (worker: number) => Promise<boolean>;

export interface RoundResult {
  requests: number;
  errors: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface LoadResult {
  name: string;
  concurrency: number;
  rounds: RoundResult[];
  /** Medians over the rounds, each figure on its own. */
  reqPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

/**
 * Closed-loop load: `concurrency` workers, each sending its next request when the last one is
 * answered, until `durationMs` has passed or `maxRequests` were sent. Bounded in time and count.
 */
export async function runRound(request: Request, options: { concurrency: number; durationMs: number; maxRequests: number }): Promise<RoundResult> {
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (performance.now() < deadline && sent < options.maxRequests) {
        sent += 1;
        const began = performance.now();
        let ok = false;
        try {
          ok = await request(worker);
        } catch {
          ok = false;
        }
        latencies.push(performance.now() - began);
        if (!ok) errors += 1;
      }
    }),
  );
  return summarizeRound(latencies, errors, start);
}

/** One round's figures from its latencies (ms) and its start (performance.now()). */
export function summarizeRound(latencies: number[], errors: number, start: number): RoundResult {
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds: round(seconds, 3),
    reqPerSec: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

export async function runLoad(
  name: string,
  request: Request,
  options: { concurrency: number; rounds: number; durationMs: number; maxRequests: number },
): Promise<LoadResult> {
  const rounds: RoundResult[] = [];
  for (let i = 0; i < options.rounds; i++) rounds.push(await runRound(request, options));
  return {
    name,
    concurrency: options.concurrency,
    rounds,
    reqPerSec: round(median(rounds.map((r) => r.reqPerSec)), 1),
    p50Ms: round(median(rounds.map((r) => r.p50Ms))),
    p95Ms: round(median(rounds.map((r) => r.p95Ms))),
    p99Ms: round(median(rounds.map((r) => r.p99Ms))),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}
