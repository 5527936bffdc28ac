import type { JSX } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Enabled } from '../api.ts';
import { useSecondsLeft } from '../countdown.ts';
import { Alert, CodeField } from './ui.tsx';
import { rich, t } from '../i18n.ts';

/**
 * "Authenticated by Email": a code is mailed to the account's address, typed back, saved. `email`
 * is the address as the Email Address section shows it; the status line after Send has the
 * server's masked form, as every "A code was sent to …" does.
 */
export function EmailSetupForm({ email, onEnabled }: { email: string; onEnabled: (result: Enabled) => void }): JSX.Element {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useSecondsLeft(resendAt);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeId = useId();
  const sending = useRef(false);

  const send = async (): Promise<void> => {
    // One request per click burst: a second one would only come back refused, with another countdown.
    if (sending.current) return;
    sending.current = true;
    setError(null);
    try {
      const sent = await api.startEmailSetup();
      setSentTo(sent.sentTo);
      setResendAt(Date.now() + sent.resendAfter * 1000);
      document.getElementById(codeId)?.focus();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'too_many_attempts' && failure.details.retryAfter !== undefined) {
        setResendAt(Date.now() + failure.details.retryAfter * 1000);
      } else setError(messageOf(failure));
    } finally {
      sending.current = false;
    }
  };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!/^[0-9]{6}$/.test(code)) {
      setError(t('Enter the 6-digit code from the email.'));
      document.getElementById(codeId)?.focus();
      return;
    }
    setBusy(true);
    try {
      onEnabled(await api.enableEmail(code));
    } catch (failure) {
      setError(messageOf(failure));
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="setup" onSubmit={save} noValidate aria-labelledby="email-title">
      <h3 id="email-title">{t('Receive codes by email')}</h3>
      <p class="muted">
        {rich('A 6-digit code is sent to <b>{email}</b> each time you log in.', { email })}
      </p>
      <div class="inline-actions">
        <button type="button" class="button button-secondary" onClick={send} disabled={wait > 0}>
          {sentTo ? t('Send again') : t('Send code')}
        </button>
        <span class="hint" role="status">
          {sentTo && wait > 0 && t('A code was sent to {address}. You can send another in {seconds} s.', { address: sentTo, seconds: wait })}
          {sentTo && wait === 0 && t('A code was sent to {address}.', { address: sentTo })}
          {!sentTo && wait > 0 && t('You can send a code in {seconds} s.', { seconds: wait })}
        </span>
      </div>
      {error && <Alert>{error}</Alert>}
      <div class="form-narrow">
        <CodeField id={codeId} value={code} onValue={setCode} />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('Save')}
        </button>
      </div>
    </form>
  );
}
