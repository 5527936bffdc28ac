import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { api, messageOf, type PasskeyAdded } from '../api.ts';
import { PromptDismissed, createPasskey, supportsPasskeys } from '../webauthn.ts';
import { Alert, Field } from './ui.tsx';
import { t } from '../i18n.ts';

interface PasskeySetupProps {
  onAdded: (result: PasskeyAdded) => void;
}

/** Add authenticator > "Passkey or security key": a name, then the browser's own prompt. */
export function PasskeySetupForm({ onAdded }: PasskeySetupProps): JSX.Element {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameId = useId();
  const supported = supportsPasskeys();

  const add = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const trimmed = name.trim();
    if (trimmed.length > 64) {
      setError(t('Use a name of at most 64 characters.'));
      document.getElementById(nameId)?.focus();
      return;
    }
    setBusy(true);
    try {
      const options = await api.passkeyRegistrationOptions();
      const response = await createPasskey(options);
      onAdded(await api.registerPasskey(trimmed === '' ? t('Passkey') : trimmed, response));
    } catch (failure) {
      // Closing the prompt is a choice, not an error; the form stays for another try.
      if (!(failure instanceof PromptDismissed)) setError(failure instanceof Error && !('status' in failure) ? failure.message : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  if (!supported) {
    return (
      <div class="setup">
        <Alert>{t('This browser cannot use passkeys or security keys. Use a current version of Chrome, Edge, Firefox or Safari.')}</Alert>
      </div>
    );
  }

  return (
    <form class="setup" onSubmit={add} noValidate aria-labelledby="passkey-title">
      <h3 id="passkey-title">{t('Add a passkey or security key')}</h3>
      <p class="muted">
        {t('Your browser asks you to choose where to keep the passkey: this device (fingerprint, face or screen lock), your phone, or a security key you plug in or tap.')}
      </p>
      {error && <Alert>{error}</Alert>}
      <Field
        id={nameId}
        label={t('Name')}
        value={name}
        onValue={setName}
        hint={t('So you can tell your keys apart, for example "YubiKey" or "Laptop".')}
        hintFirst
        maxLength={64}
        autocomplete="off"
      />
      <button type="submit" class="button button-primary" disabled={busy}>
        {t('Add passkey')}
      </button>
    </form>
  );
}
