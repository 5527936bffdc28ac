import { emailCodeKeys } from '../../shared/email-codes.ts';

/**
 * What a WebAuthn challenge is bound to. It can only be answered there, expires with it, and is
 * replaced when the same login, window or registration asks again. Login and Password-window
 * bindings are the keys proveSecondFactor already carries for this attempt's one-time codes
 * (`emailCodeKey`), so a factor finds its challenge without a new field.
 */
export const webauthnBindings = {
  login: emailCodeKeys.login,
  reauth: emailCodeKeys.reauth,
  registration: (sessionId: string): string => `register:${sessionId}`,
  passkey: (passkeyChallengeIdHash: string): string => `passkey:${passkeyChallengeIdHash}`,
};
