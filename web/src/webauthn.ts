import {
  WebAuthnAbortService,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { t } from './i18n.ts';

/**
 * The browser's own passkey prompt, through @simplewebauthn/browser: it turns the server's JSON
 * options into navigator.credentials calls and the answers back into the JSON the server checks.
 */

export type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON };

export function supportsPasskeys(): boolean {
  return browserSupportsWebAuthn();
}

/** Whether the browser can offer passkeys in the Username field's autofill (conditional mediation). */
export function supportsPasskeyAutofill(): Promise<boolean> {
  return browserSupportsWebAuthn() ? browserSupportsWebAuthnAutofill() : Promise.resolve(false);
}

/** Thrown when the person closed the prompt, it timed out, or another prompt replaced it: not worth an error message. */
export class PromptDismissed extends Error {
  override name = 'PromptDismissed';
}

/** A prompt failure in words a user can act on. */
export class PromptFailed extends Error {
  override name = 'PromptFailed';
}

function translate(failure: unknown): Error {
  const name = (failure as { name?: unknown }).name;
  const code = (failure as { code?: unknown }).code;
  if (name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') return new PromptDismissed(t('The passkey prompt was closed.'));
  if (name === 'NotAllowedError') return new PromptDismissed(t('The passkey prompt was closed or timed out.'));
  if (name === 'InvalidStateError' || code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') {
    return new PromptFailed(t('This passkey or security key is already registered to your account.'));
  }
  if (name === 'SecurityError') return new PromptFailed(t('This browser refused to use passkeys for this address. Ask your administrator to check {setting}.', { setting: 'TWOFOLD_PUBLIC_URL' }));
  return new PromptFailed(t('Your browser could not use the passkey. Try again, or use another method.'));
}

export async function createPasskey(options: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON: options });
  } catch (failure) {
    throw translate(failure);
  }
}

export async function askForPasskey(options: PublicKeyCredentialRequestOptionsJSON, autofill = false): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
  } catch (failure) {
    throw translate(failure);
  }
}

/** Ends a waiting autofill request (leaving the login screen, or starting a modal prompt instead). */
export function cancelPasskeyPrompt(): void {
  WebAuthnAbortService.cancelCeremony();
}
