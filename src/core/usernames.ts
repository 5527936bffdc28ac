/**
 * Usernames are extension numbers ("1001") or names. The key that makes them unique ignores case
 * and Unicode composition, so "Anna" and "anna" cannot be two accounts.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFC').trim().toLowerCase();
}

/** Returns why a new username is unacceptable, or null. */
export function checkUsername(username: string): string | null {
  if (username.length === 0 || username.length > 64) return 'Username must be 1 to 64 characters.';
  if (username !== username.trim()) return 'Username must not start or end with a space.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(username)) return 'Username must not contain control characters or slashes.';
  // A lone surrogate survives JSON but not percent-encoding: it would break the Key URI later.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(username)) return 'Username must be valid Unicode text.';
  return null;
}

/** Shows enough of an address to recognise it without disclosing it: `1***@example.com`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
