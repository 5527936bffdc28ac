import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeBase32, encodeBase32 } from '../src/core/base32.ts';
import { hashPassword, PASSWORD_HASH_PARAMETERS, verifyPassword } from '../src/core/passwords.ts';
import { SecretBox } from '../src/core/secret-box.ts';
import { hashToken } from '../src/core/tokens.ts';
import { generateTOTP, verifyTOTP } from '../src/core/totp.ts';
import { bareVerify, createOTPAuthVerifier } from './peers/totp-verifiers.ts';
import { median, percentile, round } from './stats.ts';

export interface OpsResult {
  name: string;
  /** Median over the rounds, operations per second. */
  opsPerSec: number;
  minOpsPerSec: number;
  maxOpsPerSec: number;
  rounds: number;
}

export interface LatencyResult {
  name: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Completed operations per second with `inFlight` started at once (0 when not measured). */
  throughputPerSec?: number;
  inFlight?: number;
}

/** `subject` against `baseline`, measured in alternating rounds of the same run (noise hits both). */
export interface RatioResult {
  name: string;
  subject: string;
  baseline: string;
  /** Median over the rounds of subject ops/s divided by baseline ops/s in the same round. */
  ratio: number;
  minRatio: number;
  maxRatio: number;
  rounds: number;
}

export interface CoreResults {
  ops: OpsResult[];
  ratios: RatioResult[];
  argon2: { parameters: typeof PASSWORD_HASH_PARAMETERS; results: LatencyResult[] };
}

// A sink the optimiser cannot prove unused, so no benchmarked call is dead-code-eliminated.
let sink = 0;

/**
 * Runs `fn` in batches sized to take about `roundMs`, `rounds` times, after a warm-up, and keeps
 * the median: a shared two-core machine gives single rounds that are far off in both directions.
 */
function measureOps(name: string, fn: () => unknown, options: { rounds: number; roundMs: number }): OpsResult {
  let batch = 1;
  // Calibrate (this also warms the JIT): grow the batch until it takes a measurable time.
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) sink ^= fn() === undefined ? 0 : 1;
    const elapsed = performance.now() - start;
    if (elapsed >= 20) {
      batch = Math.max(1, Math.round((batch * options.roundMs) / elapsed));
      break;
    }
    batch *= 4;
  }
  const rates: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) sink ^= fn() === undefined ? 0 : 1;
    rates.push(batch / ((performance.now() - start) / 1000));
  }
  return {
    name,
    opsPerSec: Math.round(median(rates)),
    minOpsPerSec: Math.round(Math.min(...rates)),
    maxOpsPerSec: Math.round(Math.max(...rates)),
    rounds: options.rounds,
  };
}

function batchRate(fn: () => unknown, batch: number): number {
  const start = performance.now();
  for (let i = 0; i < batch; i++) sink ^= fn() === undefined ? 0 : 1;
  return batch / ((performance.now() - start) / 1000);
}

/**
 * A ratio of two operations on a shared, noisy machine: each round runs one batch of each, in
 * alternating order, and the round's ratio is taken, so a busy moment slows both sides of it.
 */
function measureRatio(
  name: string,
  subject: { name: string; fn: () => unknown },
  baseline: { name: string; fn: () => unknown },
  options: { rounds: number; roundMs: number },
): RatioResult {
  const batchOf = (fn: () => unknown): number => {
    let batch = 1;
    for (;;) {
      const start = performance.now();
      for (let i = 0; i < batch; i++) sink ^= fn() === undefined ? 0 : 1;
      const elapsed = performance.now() - start;
      if (elapsed >= 20) return Math.max(1, Math.round((batch * options.roundMs) / elapsed));
      batch *= 4;
    }
  };
  const subjectBatch = batchOf(subject.fn);
  const baselineBatch = batchOf(baseline.fn);
  const ratios: number[] = [];
  const rounds = options.rounds * 2 + 1;
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      const a = batchRate(subject.fn, subjectBatch);
      ratios.push(a / batchRate(baseline.fn, baselineBatch));
    } else {
      const b = batchRate(baseline.fn, baselineBatch);
      ratios.push(batchRate(subject.fn, subjectBatch) / b);
    }
  }
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return { name, subject: subject.name, baseline: baseline.name, ratio: r2(median(ratios)), minRatio: r2(Math.min(...ratios)), maxRatio: r2(Math.max(...ratios)), rounds };
}

async function measureLatency(name: string, fn: () => Promise<unknown>, samples: number): Promise<LatencyResult> {
  await fn(); // warm-up, not counted
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { name, samples, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), maxMs: round(times[times.length - 1]!) };
}

/** `total` operations with `inFlight` running at once: what the login path can reach at best. */
async function measureThroughput(fn: () => Promise<unknown>, total: number, inFlight: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next += 1;
        await fn();
      }
    }),
  );
  return round(total / ((performance.now() - start) / 1000), 1);
}

export async function runCoreBenchmarks(options: { quick: boolean }): Promise<CoreResults> {
  const opsOptions = options.quick ? { rounds: 3, roundMs: 60 } : { rounds: 5, roundMs: 200 };
  const key = randomBytes(20); // 160-bit seed, what RFC 4226 recommends and authenticator apps use
  const now = Date.now();
  const validCode = generateTOTP(key, now);
  // A code for a step far from now: wrong, but still six digits, so all three steps are computed.
  const wrongCode = generateTOTP(key, now + 3_600_000);
  const secretText = encodeBase32(key);
  const box = new SecretBox(randomBytes(32));
  const associatedData = `totp:${randomUUID()}`;
  const sealed = box.seal(secretText, associatedData);
  const token = randomBytes(32).toString('base64url');

  const ops: OpsResult[] = [
    measureOps('generateTOTP (SHA-1, 6 digits)', () => generateTOTP(key, now), opsOptions),
    measureOps('verifyTOTP window ±1, right code', () => verifyTOTP(key, validCode, { now, window: 1 }), opsOptions),
    measureOps('verifyTOTP window ±1, wrong code', () => verifyTOTP(key, wrongCode, { now, window: 1 }), opsOptions),
    measureOps('encodeBase32 (20 bytes)', () => encodeBase32(key), opsOptions),
    measureOps('decodeBase32 (32 chars)', () => decodeBase32(secretText), opsOptions),
    measureOps('SecretBox.seal (AES-256-GCM)', () => box.seal(secretText, associatedData), opsOptions),
    measureOps('SecretBox.open', () => box.open(sealed, associatedData), opsOptions),
    measureOps('hashToken (SHA-256, per request)', () => hashToken(token), opsOptions),
  ];

  // The TOTP engine against the bare node:crypto verifier and the otpauth package (issue 14).
  const keyBuffer = Buffer.from(key);
  const otpauthVerify = createOTPAuthVerifier(keyBuffer);
  const ratioOptions = options.quick ? { rounds: 3, roundMs: 60 } : { rounds: 7, roundMs: 150 };
  const ours = (code: string) => ({ name: 'verifyTOTP', fn: () => verifyTOTP(key, code, { now, window: 1 }) });
  const ratios: RatioResult[] = [
    measureRatio('verifyTOTP / bare node:crypto, right code', ours(validCode), { name: 'bare', fn: () => bareVerify(keyBuffer, validCode, now) }, ratioOptions),
    measureRatio('verifyTOTP / bare node:crypto, wrong code', ours(wrongCode), { name: 'bare', fn: () => bareVerify(keyBuffer, wrongCode, now) }, ratioOptions),
    measureRatio('verifyTOTP / otpauth, right code', ours(validCode), { name: 'otpauth', fn: () => otpauthVerify(validCode, now) }, ratioOptions),
    measureRatio('verifyTOTP / otpauth, wrong code', ours(wrongCode), { name: 'otpauth', fn: () => otpauthVerify(wrongCode, now) }, ratioOptions),
  ];
  if (bareVerify(keyBuffer, validCode, now) === null || otpauthVerify(validCode, now) === null || verifyTOTP(key, validCode, { now }) === null) {
    throw new Error('a verifier refused the right code: the comparison would be meaningless');
  }
  if (bareVerify(keyBuffer, wrongCode, now) !== null || otpauthVerify(wrongCode, now) !== null || verifyTOTP(key, wrongCode, { now }) !== null) {
    throw new Error('a verifier accepted the wrong code: the comparison would be meaningless');
  }

  const samples = options.quick ? 3 : 12;
  const password = 'correct horse battery staple';
  const phc = await hashPassword(password);
  const results: LatencyResult[] = [
    await measureLatency('Argon2id hash', () => hashPassword(password), samples),
    await measureLatency('Argon2id verify (right password)', () => verifyPassword(phc, password), samples),
  ];
  const inFlight = 4; // libuv's default thread pool, which @node-rs/argon2 runs on
  const verify = results[1]!;
  verify.inFlight = inFlight;
  verify.throughputPerSec = await measureThroughput(() => verifyPassword(phc, password), options.quick ? 8 : 24, inFlight);
  if (sink === -1) throw new Error('unreachable'); // keeps `sink` observable to the optimiser
  return { ops, ratios, argon2: { parameters: PASSWORD_HASH_PARAMETERS, results } };
}
