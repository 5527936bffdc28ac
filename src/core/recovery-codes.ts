import { randomInt } from 'node:crypto';

// Crockford-style alphabet: no 0/O or 1/I/L to misread from paper.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const RECOVERY_CODE_COUNT = 10;

/** Ten codes of 10 characters (~49 bits each), shown as `XXXXX-XXXXX`. */
export function generateRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let raw = '';
    for (let i = 0; i < 10; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

/** Canonical form: upper case, separators and spaces dropped, so `abcde fghjk` matches. */
export function normalizeRecoveryCode(input: string): string | null {
  const canonical = input.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-9]{10}$/.test(canonical) ? canonical : null;
}

/**
 * Digest of a recovery code for storage. `mac` must be keyed (SecretBox.mac): at ~49 bits a code
 * is within reach of an offline search if its digest were a plain hash, so a database dump alone
 * must not be enough to test guesses.
 */
export function hashRecoveryCode(code: string, mac: (value: string) => string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new TypeError('not a recovery code');
  return mac(`recovery:${canonical}`);
}
