import { authenticatorAssociatedData } from '../../../core/associated-data.ts';
import type { Authenticator } from '../../../core/types.ts';
import type { SecretBox } from '../../../ports.ts';

interface Material {
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
}

/**
 * The public key is not secret, but it decides who may log in: sealed (AES-GCM) with the
 * authenticator's id as associated data, nobody who can only write to the database can swap
 * in a key of their own, or move a key onto another account's row.
 */
export function sealCredential(secretBox: SecretBox, authenticatorId: string, material: { credentialId: string; publicKey: Uint8Array }): string {
  const value: Material = { credentialId: material.credentialId, publicKey: Buffer.from(material.publicKey).toString('base64url') };
  return secretBox.seal(JSON.stringify(value), authenticatorAssociatedData(authenticatorId));
}

/** The key of a stored credential; throws when the row was tampered with or the master key is another. */
export function openCredential(secretBox: SecretBox, authenticator: Authenticator): { credentialId: string; publicKey: Uint8Array } {
  const opened = authenticator.sealedSecret === null ? null : secretBox.open(authenticator.sealedSecret, authenticatorAssociatedData(authenticator.id));
  const material = opened === null ? null : (JSON.parse(opened) as Material);
  if (material === null || material.credentialId !== authenticator.webauthn?.credentialId) {
    throw new Error('stored WebAuthn credential cannot be opened with the master key or does not match its row');
  }
  return { credentialId: material.credentialId, publicKey: new Uint8Array(Buffer.from(material.publicKey, 'base64url')) };
}
