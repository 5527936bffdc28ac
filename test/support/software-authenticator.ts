import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encode } from 'cborg';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A WebAuthn authenticator and browser in one, for HTTP tests: a P-256 key per credential from
 * node:crypto, `none` attestation, and responses shaped exactly as @simplewebauthn/browser's
 * startRegistration()/startAuthentication() send them (the fields a real browser fills in,
 * undefined ones left out by JSON). Everything a test may need to break is an option.
 */

// Authenticator data flags, WebAuthn Level 3 §6.1.
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

// COSE (RFC 9052/9053): an EC2 key on P-256 for ES256.
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_CRV = -1;
const COSE_X = -2;
const COSE_Y = -3;
const COSE_KTY_EC2 = 2;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;

export type Attachment = 'platform' | 'cross-platform';

export interface SoftwareCredential {
  /** The credential id, base64url (as `id` in the responses). */
  id: string;
  rpId: string;
  /** user.id of the registration options (base64url), returned as userHandle by discoverable credentials. */
  userHandle: string;
  discoverable: boolean;
  privateKey: KeyObject;
  counter: number;
}

export interface AuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  attachment?: Attachment;
  /** Whether the authenticator verifies its user (PIN, biometrics); sets the UV flag. Default true. */
  userVerification?: boolean;
  /** How much the signature counter grows per use; 0 for an authenticator that does not count (synced passkeys). Default 1. */
  counterStep?: number;
  /** Backup eligible and backed up flags (a synced passkey). Default false. */
  backedUp?: boolean;
}

export interface RegisterOverrides {
  origin?: string;
  userVerified?: boolean;
  /** Create a discoverable (resident) credential; default: as the options prefer (anything but "discouraged"). */
  discoverable?: boolean;
  /** Register even when the options' excludeCredentials names a credential of this authenticator (a browser would refuse). */
  ignoreExcludeCredentials?: boolean;
  /** Sign a different challenge than the options gave. */
  challenge?: string;
  /** The RP ID whose hash goes into the authenticator data. */
  rpId?: string;
}

export interface AuthenticateOverrides {
  /** Which credential answers (default: the first one the options allow, or any one for a discoverable request). */
  credentialId?: string;
  origin?: string;
  rpId?: string;
  userVerified?: boolean;
  userPresent?: boolean;
  /** Report this signature counter instead of the next one (to test a cloned key). */
  counter?: number;
  challenge?: string;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** Leave out the userHandle even for a discoverable credential. */
  omitUserHandle?: boolean;
}

export function toBase64URL(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter >>> 0);
  return bytes;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  return encode(
    new Map<number, number | Uint8Array>([
      [COSE_KTY, COSE_KTY_EC2],
      [COSE_ALG, COSE_ALG_ES256],
      [COSE_CRV, COSE_CRV_P256],
      [COSE_X, Buffer.from(jwk.x!, 'base64url')],
      [COSE_Y, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  // Chromium's member order; crossOrigin false for a top-level page.
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

export class SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[] = [];
  // All zeros: what an authenticator with `none` attestation may report, and what Chromium's virtual one does.
  readonly aaguid = Buffer.alloc(16);

  constructor(readonly options: AuthenticatorOptions) {}

  private flags(userPresent: boolean, userVerified: boolean): number {
    let flags = 0;
    if (userPresent) flags |= FLAG_UP;
    if (userVerified) flags |= FLAG_UV;
    if (this.options.backedUp) flags |= FLAG_BE | FLAG_BS;
    return flags;
  }

  private transports(): string[] {
    return (this.options.attachment ?? 'platform') === 'platform' ? ['internal'] : ['usb'];
  }

  /** navigator.credentials.create() as startRegistration() reports it. */
  register(creation: PublicKeyCredentialCreationOptionsJSON, overrides: RegisterOverrides = {}): RegistrationResponseJSON {
    const rpId = overrides.rpId ?? creation.rp.id;
    if (rpId === undefined) throw new Error('the creation options name no rp.id');
    const excluded = new Set((creation.excludeCredentials ?? []).map((c) => c.id));
    if (!overrides.ignoreExcludeCredentials && this.credentials.some((c) => excluded.has(c.id) && c.rpId === rpId)) {
      // What a browser reports: the authenticator already holds a credential of this account.
      throw Object.assign(new Error('The authenticator was previously registered'), { name: 'InvalidStateError' });
    }
    const discoverable = overrides.discoverable ?? creation.authenticatorSelection?.residentKey !== 'discouraged';
    const userVerified = overrides.userVerified ?? this.options.userVerification ?? true;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialId = randomBytes(32);
    const counter = 0;
    const cose = coseKey(publicKey);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authenticatorData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(true, userVerified) | FLAG_AT]),
      counterBytes(counter),
      this.aaguid,
      idLength,
      credentialId,
      cose,
    ]);
    const attestationObject = encode({ fmt: 'none', attStmt: {}, authData: authenticatorData });
    const id = toBase64URL(credentialId);
    this.credentials.push({ id, rpId, userHandle: creation.user.id, discoverable, privateKey, counter });
    const attachment = this.options.attachment ?? 'platform';
    return {
      id,
      rawId: id,
      response: {
        attestationObject: toBase64URL(attestationObject),
        clientDataJSON: toBase64URL(clientData('webauthn.create', overrides.challenge ?? creation.challenge, overrides.origin ?? this.options.origin)),
        transports: this.transports(),
        publicKeyAlgorithm: COSE_ALG_ES256,
        publicKey: toBase64URL(publicKey.export({ format: 'der', type: 'spki' })),
        authenticatorData: toBase64URL(authenticatorData),
      },
      type: 'public-key',
      clientExtensionResults: { credProps: { rk: discoverable } },
      authenticatorAttachment: attachment,
    };
  }

  /** navigator.credentials.get() as startAuthentication() reports it. */
  authenticate(request: PublicKeyCredentialRequestOptionsJSON, overrides: AuthenticateOverrides = {}): AuthenticationResponseJSON {
    const rpId = request.rpId;
    if (rpId === undefined) throw new Error('the request options name no rpId');
    const allowed = (request.allowCredentials ?? []).map((c) => c.id);
    const credential =
      overrides.credentialId === undefined
        ? this.credentials.find((c) => c.rpId === rpId && (allowed.length === 0 ? c.discoverable : allowed.includes(c.id)))
        : this.credentials.find((c) => c.id === overrides.credentialId);
    if (!credential) throw Object.assign(new Error('No credential of this authenticator is allowed'), { name: 'NotAllowedError' });
    if (overrides.counter === undefined) credential.counter += this.options.counterStep ?? 1;
    const counter = overrides.counter ?? credential.counter;
    const userVerified = overrides.userVerified ?? this.options.userVerification ?? true;
    const authenticatorData = Buffer.concat([
      sha256(overrides.rpId ?? rpId),
      Buffer.from([this.flags(overrides.userPresent ?? true, userVerified)]),
      counterBytes(counter),
    ]);
    const clientDataJSON = clientData('webauthn.get', overrides.challenge ?? request.challenge, overrides.origin ?? this.options.origin);
    const signer = createSign('SHA256');
    signer.update(Buffer.concat([authenticatorData, sha256(clientDataJSON)]));
    // ES256 signatures in WebAuthn are ASN.1 DER, node's default encoding for EC keys.
    const signature = signer.sign(credential.privateKey);
    if (overrides.badSignature) signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0x01, signature.length - 1);
    const userHandle = credential.discoverable && !overrides.omitUserHandle ? credential.userHandle : undefined;
    return {
      id: credential.id,
      rawId: credential.id,
      response: {
        authenticatorData: toBase64URL(authenticatorData),
        clientDataJSON: toBase64URL(clientDataJSON),
        signature: toBase64URL(signature),
        ...(userHandle === undefined ? {} : { userHandle }),
      },
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: this.options.attachment ?? 'platform',
    };
  }
}
