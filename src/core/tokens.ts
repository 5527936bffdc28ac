import { createHash, randomBytes } from 'node:crypto';

/** A bearer value with 256 bits of entropy, URL-safe. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Tokens are stored only as their SHA-256: they carry full entropy, so a slow hash adds nothing,
 * and a database dump cannot be replayed as a session.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
