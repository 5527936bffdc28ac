import { Type } from 'typebox';

// Codes are ASCII digits only: " 123456", "１２３４５６" and "123456abc" are rejected here, at the edge.
export const SixDigitCode = Type.String({ pattern: '^[0-9]{6}$', description: 'A 6-digit code' });
// A 6-digit code or a recovery code (XXXXX-XXXXX, case and separators free).
export const AnyCode = Type.String({ pattern: '^(?:[0-9]{6}|[A-Za-z2-9]{5}[- ]?[A-Za-z2-9]{5})$' });
// A code an administrator issued (XXXXX-XXXXX-XXXXX, case and separators free).
export const AdminRecoveryCode = Type.String({ pattern: '^[A-Za-z2-9]{5}[- ]?[A-Za-z2-9]{5}[- ]?[A-Za-z2-9]{5}$' });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** The owner's label for an authenticator ("Work phone"); trimmed and checked again by the flow. */
export const AuthenticatorName = Type.String({ minLength: 1, maxLength: 64 });
export const Username = Type.String({ minLength: 1, maxLength: 64 });
export const ClientKind = Type.Union([Type.Literal('web'), Type.Literal('desktop'), Type.Literal('mobile')]);
export const ChallengeMethod = Type.Union([Type.Literal('totp'), Type.Literal('email'), Type.Literal('webauthn'), Type.Literal('recovery_code')]);

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const MessageBody = Type.Object({ message: Type.String() });

export const TwoFactorStatus = Type.Object({
  enabled: Type.Boolean(),
  method: Type.Union([Type.Literal('totp'), Type.Literal('email'), Type.Literal('webauthn'), Type.Null()]),
  authenticators: Type.Integer({ minimum: 0 }),
});

export const UserBody = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  emailVerified: Type.Boolean(),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  twoFactor: TwoFactorStatus,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

/** Strict objects: unknown fields are an error, not silently dropped. */
export function strictObject<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/** For actions that take no input: `{}` (or no body at all), and nothing else. */
export const EmptyBody = strictObject({});

/** A device credential as a client sends it; its shape is checked by the flow, which ignores a bad one. */
export const DeviceToken = Type.String({ maxLength: 512 });
