import { Type } from 'typebox';

// The JSON that @simplewebauthn/browser (and native WebAuthn/FIDO2 clients) send, checked for
// shape only: base64url text of bounded length. Everything cryptographic is judged by the flow,
// so a response that is merely wrong is an invalid_code, never a validation_error.
const base64url = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });

// WebAuthn §5.1: credential ids are at most 1023 bytes (1364 base64url characters).
const CredentialId = base64url(1366);
const Attachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform'), Type.Null()]);
// Extension outputs are the browser's; only credProps is read, the rest is allowed and ignored.
const ClientExtensionResults = Type.Object(
  { credProps: Type.Optional(Type.Object({ rk: Type.Optional(Type.Boolean()) })) },
  { additionalProperties: true, maxProperties: 16 },
);
const Transports = Type.Array(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z-]+$' }), { maxItems: 8 });

export const AuthenticationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        authenticatorData: base64url(4096),
        signature: base64url(1024),
        userHandle: Type.Optional(Type.Union([Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*={0,2}$' }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(Attachment),
    clientExtensionResults: ClientExtensionResults,
  },
  { additionalProperties: false },
);

export const RegistrationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        attestationObject: base64url(12_000),
        authenticatorData: Type.Optional(base64url(8192)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer({ minimum: -65_536, maximum: 65_535 })),
        publicKey: Type.Optional(base64url(4096)),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(Attachment),
    clientExtensionResults: ClientExtensionResults,
  },
  { additionalProperties: false },
);
