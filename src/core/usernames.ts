/**
 * Usernames are extension numbers ("1001") or names. The key that makes them unique ignores case
 * and Unicode composition, so "Anna" and "anna" cannot be two accounts.
 */
export function usernameKey(username: string): string {
  // Lone surrogates (valid in JSON, not in UTF-8) become U+FFFD so the key can be stored as text.
  return username.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').trim().toLowerCase();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control and format characters (zero-width spaces, bidi overrides) make look-alike names.
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

/** Returns why a display name is unacceptable, or null. */
export function checkDisplayName(name: string): string | null {
  if (name.length > 128) return 'Display name must be at most 128 characters.';
  if (INVISIBLE.test(name) || new RegExp(LONE_SURROGATE.source).test(name)) return 'Display name must not contain control or invisible characters.';
  return null;
}

/** Returns why a new username is unacceptable, or null. */
export function checkUsername(username: string): string | null {
  if (username.length === 0 || username.length > 64) return 'Username must be 1 to 64 characters.';
  if (username !== username.trim()) return 'Username must not start or end with a space.';
  if (INVISIBLE.test(username) || /[/\\]/.test(username)) return 'Username must not contain control or invisible characters, or slashes.';
  // A lone surrogate survives JSON but not percent-encoding: it would break the Key URI later.
  if (new RegExp(LONE_SURROGATE.source).test(username)) return 'Username must be valid Unicode text.';
  return null;
}
