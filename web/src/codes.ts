/**
 * What people paste into a code field: "123 456", "123-456", " 123456 ", "abcde fghjk". The
 * separators apps and printouts add are dropped here, so a field never cuts a code short.
 */

/** The digits of a 6-digit code as typed or pasted (at most six). */
export function keepCodeDigits(raw: string): string {
  return raw.replace(/\D/g, '').slice(0, 6);
}

/** A recovery code in the form the API documents (XXXXX-XXXXX), or null when it is not one. */
export function normalizeRecoveryCode(raw: string): string | null {
  const compact = raw.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-9]{10}$/.test(compact) ? `${compact.slice(0, 5)}-${compact.slice(5)}` : null;
}

/** A field that takes either kind: six digits, a recovery code, or null. */
export function readAnyCode(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, '');
  if (/^[0-9]{6}$/.test(digits)) return digits;
  return normalizeRecoveryCode(raw);
}
