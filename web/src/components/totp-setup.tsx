import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { api, messageOf, type Enabled, type TOTPSetup } from '../api.ts';
import { copyText } from '../clipboard.ts';
import { Alert, CodeField } from './ui.tsx';
import { rich, t } from '../i18n.ts';

/** "ABCDEFGH..." as "ABCD EFGH ...": easier to read out and to type into a phone. */
export function groupInFours(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

interface TOTPSetupProps {
  setup: TOTPSetup;
  username: string;
  onEnabled: (result: Enabled) => void;
}

export function TOTPSetupForm({ setup, username, onEnabled }: TOTPSetupProps): JSX.Element {
  const [revealed, setRevealed] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeId = useId();

  const reveal = (event: Event): void => {
    event.preventDefault();
    setRevealed(true);
    requestAnimationFrame(() => document.getElementById('totp-secret')?.focus());
  };

  const copy = async (): Promise<void> => {
    setCopied((await copyText(setup.secret)) ? t('Secret key copied.') : t('Select the key and copy it.'));
  };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!/^[0-9]{6}$/.test(code)) {
      setError(t('Enter the 6-digit code shown in your authenticator app.'));
      document.getElementById(codeId)?.focus();
      return;
    }
    setBusy(true);
    try {
      onEnabled(await api.enableTOTP(code));
    } catch (failure) {
      setError(messageOf(failure));
      setCode('');
      document.getElementById(codeId)?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="setup" onSubmit={save} noValidate aria-labelledby="totp-title">
      <h3 id="totp-title">{t('Add your account to the authenticator app')}</h3>
      <p class="muted">{t('Open the authenticator application on your mobile phone, select to scan a QR code, and scan this one.')}</p>
      <div class="qr-row">
        <img class="qr" src={setup.qrCode} width={200} height={200} alt={t('QR code that adds the Twofold account {username} to an authenticator app', { username })} />
        <div class="qr-side">
          <a href="#totp-secret" class="link" aria-expanded={revealed} aria-controls="totp-secret-box" onClick={reveal}>
            {t("Can't scan")}
          </a>
          <p class="hint">{t('Add the account by hand with a secret key instead.')}</p>
          <a class="button button-secondary add-to-app" href={setup.otpauthUri}>
            {t('Add to authenticator app')}
          </a>
        </div>
      </div>
      {revealed && (
        <div class="secret-box" id="totp-secret-box">
          <p class="secret-label" id="totp-secret-label">
            {t('Secret key')}
          </p>
          <div class="secret-row">
            <code id="totp-secret" class="secret" tabIndex={-1} aria-labelledby="totp-secret-label totp-secret">
              {groupInFours(setup.secret)}
            </code>
            <button type="button" class="button button-secondary button-small" onClick={copy}>
              {t('Copy')}
            </button>
          </div>
          <p class="hint">
            {rich(
              'In the authenticator app, choose to add an account manually, enter <b>{username}</b> as the account and paste this key. If the app asks for more settings: algorithm <b>{algorithm}</b>, <b>{digits}</b>-digit codes, interval <b>{period}</b> seconds.',
              { username, algorithm: setup.algorithm, digits: String(setup.digits), period: String(setup.period) },
            )}
          </p>
          <p class="hint" role="status">
            {copied}
          </p>
        </div>
      )}
      {error && <Alert>{error}</Alert>}
      <div>
        <CodeField id={codeId} value={code} onValue={setCode} hint={t('Enter the 6-digit authentication code the app now shows.')} />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('Save')}
        </button>
      </div>
    </form>
  );
}
