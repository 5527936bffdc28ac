import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type LoginResult } from '../api.ts';
import { PromptDismissed, PromptFailed, cancelPasskeyPrompt, supportsPasskeyAutofill, supportsPasskeys, askForPasskey } from '../webauthn.ts';
import { t } from '../i18n.ts';

/** One passwordless attempt: fresh options, the browser's prompt (or its autofill), the server's verdict. */
async function logInWithPasskey(autofill: boolean): Promise<LoginResult> {
  const { passkeyChallengeId, ...options } = await api.passkeyOptions();
  const response = await askForPasskey(options, autofill);
  return api.passkeyLogin(passkeyChallengeId, response);
}

function failureMessage(failure: unknown): string | null {
  if (failure instanceof PromptDismissed) return null;
  if (failure instanceof PromptFailed) return failure.message;
  if (failure instanceof ApiError && failure.code === 'invalid_credentials') {
    return t('That passkey could not log you in. It may have been removed from your account: log in with your password instead.');
  }
  return messageOf(failure);
}

interface PasskeyLoginProps {
  onLoggedIn: () => void;
  onError: (message: string) => void;
  /** Cleared while a password login is under way, so the two never race. */
  disabled: boolean;
}

/**
 * "Log in with a passkey", and the same offer in the Username field's autofill where the browser
 * supports conditional mediation. Both end in the session any other login gives.
 */
export function PasskeyLogin({ onLoggedIn, onError, disabled }: PasskeyLoginProps): JSX.Element | null {
  const [busy, setBusy] = useState(false);
  // Bumped to start a new autofill request after the previous one ended.
  const [autofillRound, setAutofillRound] = useState(0);
  const latest = useRef({ onLoggedIn, onError });
  latest.current = { onLoggedIn, onError };

  useEffect(() => {
    let active = true;
    void (async () => {
      if (!(await supportsPasskeyAutofill()) || !active) return;
      let options;
      try {
        options = await api.passkeyOptions();
      } catch {
        // Autofill is an extra: without options the button still works, and nothing is retried in a loop.
        return;
      }
      const { passkeyChallengeId, ...request } = options;
      let response;
      try {
        response = await askForPasskey(request, true);
      } catch {
        // Nobody picked a passkey (or the browser cannot offer one here, as on an address that is
        // not the public URL): autofill is an offer, not something to report.
        return;
      }
      try {
        const result = await api.passkeyLogin(passkeyChallengeId, response);
        if (active && result.status === 'ok') latest.current.onLoggedIn();
      } catch (failure) {
        if (!active || failure instanceof PromptDismissed) return;
        const message = failureMessage(failure);
        if (message !== null) latest.current.onError(message);
        // The person picked a passkey and it failed: offer autofill again with a fresh challenge.
        setAutofillRound((n) => n + 1);
      }
    })();
    return () => {
      active = false;
      cancelPasskeyPrompt();
    };
  }, [autofillRound]);

  if (!supportsPasskeys()) return null;

  const start = async (): Promise<void> => {
    if (busy || disabled) return;
    setBusy(true);
    try {
      // Starting the modal prompt aborts the waiting autofill request (one ceremony at a time).
      const result = await logInWithPasskey(false);
      if (result.status === 'ok') latest.current.onLoggedIn();
    } catch (failure) {
      const message = failureMessage(failure);
      if (message !== null) latest.current.onError(message);
    } finally {
      setBusy(false);
      setAutofillRound((n) => n + 1);
    }
  };

  return (
    <div class="passkey-login">
      <p class="divider" aria-hidden="true">
        <span>{t('or')}</span>
      </p>
      <button type="button" class="button button-secondary button-block" onClick={() => void start()} disabled={busy || disabled}>
        {t('Log in with a passkey')}
      </button>
    </div>
  );
}
