// Associated data binds a sealed value to the row it belongs to (AES-GCM AAD): a ciphertext
// copied onto another row fails to open.

/** A confirmed authenticator's secret, bound to the authenticator itself (release 005 on). */
export function authenticatorAssociatedData(authenticatorId: string): string {
  return `authenticator:${authenticatorId}`;
}

/** A secret shown during setup and not yet confirmed; one per account. */
export function pendingTOTPAssociatedData(userId: string): string {
  return `pending-totp:${userId}`;
}

/** How releases before 005 sealed the account's one TOTP secret; read only by the upgrade. */
export function legacyTOTPAssociatedData(userId: string): string {
  return `totp:${userId}`;
}
