import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two strings without leaking where they differ. Both sides are hashed first so the
 * comparison also takes the same time when the lengths differ.
 */
export function equalsConstantTime(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
