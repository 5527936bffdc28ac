import { randomInt } from 'node:crypto';

// The recovery codes' alphabet: no 0/O or 1/I/L to misread when read out over the phone.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/**
 * A code an administrator hands a user who lost every authenticator: 15 characters (~74 bits),
 * shown as `XXXXX-XXXXX-XXXXX`, longer than a user's own recovery codes so the two never mix.
 */
export function generateAdminRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < 15; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10)}`;
}

/** Canonical form: upper case, separators and spaces dropped; null when it cannot be one. */
export function normalizeAdminRecoveryCode(input: string): string | null {
  const canonical = input.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-9]{15}$/.test(canonical) ? canonical : null;
}

/** Keyed digest bound to the account: a dump alone cannot test guesses, and a row copied to another account fails. */
export function hashAdminRecoveryCode(userId: string, code: string, mac: (value: string) => string): string {
  const canonical = normalizeAdminRecoveryCode(code);
  if (canonical === null) throw new TypeError('not an administrator recovery code');
  return mac(`admin-recovery:${userId}:${canonical}`);
}
