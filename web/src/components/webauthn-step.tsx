import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, messageOf, type LoginResult } from '../api.ts';
import { PromptDismissed, PromptFailed, askForPasskey } from '../webauthn.ts';
import { Alert } from './ui.tsx';
import { t } from '../i18n.ts';

interface WebAuthnStepProps {
  challengeId: string;
  /** "Trust this device" ticked on the code step. */
  trustDevice?: boolean;
  onVerified: (result: LoginResult) => void;
  /** The login challenge is gone (expired, used up): back to the password, with this message. */
  onRestart: (message: string) => void;
}

/** The second step with a key: "Use your passkey or security key". */
export function WebAuthnStep({ challengeId, trustDevice = false, onVerified, onRestart }: WebAuthnStepProps): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async (): Promise<void> => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const options = await api.webauthnLoginOptions(challengeId);
      const response = await askForPasskey(options);
      onVerified(await api.verifyWebAuthn(challengeId, response, trustDevice));
    } catch (failure) {
      if (failure instanceof PromptDismissed) return;
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') {
        onRestart(failure.message);
        return;
      }
      setError(failure instanceof PromptFailed ? failure.message : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="webauthn-step">
      <p class="lead">{t('Use the passkey or security key you added to your account: your browser asks you to confirm with it.')}</p>
      {error && <Alert>{error}</Alert>}
      <button type="button" class="button button-primary button-block" onClick={() => void start()} disabled={busy}>
        {t('Use your passkey or security key')}
      </button>
    </div>
  );
}
