/**
 * The WebAuthn user handle (user.id): opaque and stable per account, never personal data
 * (WebAuthn §14.6.1). The account id is a random UUID, so it serves; base64url as sent back.
 */
export function userHandleOf(accountId: string): string {
  return Buffer.from(accountId, 'utf8').toString('base64url');
}

export function userHandleBytes(accountId: string): Uint8Array {
  return new Uint8Array(Buffer.from(accountId, 'utf8'));
}
