import type { AMRValue } from './types.ts';

// RFC 8176 lists no order; a fixed one keeps stored and shown values comparable.
const ORDER: readonly AMRValue[] = ['pwd', 'otp', 'hwk', 'swk', 'user', 'mfa'];

/**
 * The amr of an authentication made of `password` plus the given second-factor methods. `mfa`
 * (RFC 8176 §2: "multiple-factor authentication") is added as soon as a second factor was proved,
 * whichever it was: a recovery code adds no method of its own but is still a second factor.
 */
export function combineAMR(options: { password: boolean; secondFactor: readonly AMRValue[] | null }): AMRValue[] {
  const values = new Set<AMRValue>();
  if (options.password) values.add('pwd');
  if (options.secondFactor !== null) {
    for (const value of options.secondFactor) values.add(value);
    values.add('mfa');
  }
  return ORDER.filter((value) => values.has(value));
}

/** How many factors an amr proves: two once `mfa` is in it. */
export function countFactors(amr: readonly AMRValue[] | null): 0 | 1 | 2 {
  if (amr === null || amr.length === 0) return 0;
  return amr.includes('mfa') ? 2 : 1;
}

export function isAMRValue(value: string): value is AMRValue {
  return (ORDER as readonly string[]).includes(value);
}

/** Stored as a space-separated list (portable text, readable in a dump). */
export function encodeAMR(amr: readonly AMRValue[]): string {
  return amr.join(' ');
}

export function decodeAMR(stored: string | null): AMRValue[] | null {
  if (stored === null) return null;
  return stored.split(' ').filter(isAMRValue);
}
