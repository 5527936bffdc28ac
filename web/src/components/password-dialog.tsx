import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type SecondFactorMethod } from '../api.ts';
import { useSecondsLeft } from '../countdown.ts';
import { Dialog } from './dialog.tsx';
import { Alert, CodeField, Field } from './ui.tsx';

interface PasswordDialogProps {
  /** Set when two-factor is on: changing it also needs a current code of this method. */
  codeMethod: SecondFactorMethod | null;
  /** Runs after the password (and code) were accepted; may throw an ApiError to show here. */
  onConfirmed: () => Promise<void>;
  onCancel: () => void;
}

/** The "Password" pop-up that confirms a sensitive change. */
export function PasswordDialog({ codeMethod, onConfirmed, onCancel }: PasswordDialogProps): JSX.Element {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useSecondsLeft(resendAt);
  const ids = { password: useId(), code: useId() };

  const confirm = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (password === '') {
      setError('Enter your account password.');
      document.getElementById(ids.password)?.focus();
      return;
    }
    if (codeMethod !== null && !/^[0-9]{6}$/.test(code)) {
      setError('Enter the 6-digit authentication code.');
      document.getElementById(ids.code)?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.reauth(password, codeMethod === null ? undefined : code);
      await onConfirmed();
    } catch (failure) {
      setError(messageOf(failure));
      if (failure instanceof ApiError && failure.code === 'invalid_code') {
        setCode('');
        document.getElementById(ids.code)?.focus();
      } else {
        setPassword('');
        document.getElementById(ids.password)?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  const send = async (): Promise<void> => {
    setError(null);
    try {
      const sent = await api.sendReauthEmailCode();
      setSentTo(sent.sentTo);
      setResendAt(Date.now() + sent.resendAfter * 1000);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const description =
    codeMethod === null
      ? 'Enter your account password to verify this operation.'
      : 'Enter your account password and a current authentication code to verify this operation.';

  return (
    <Dialog title="Password" onClose={onCancel} description={description}>
      <form onSubmit={confirm} noValidate>
        {error && <Alert>{error}</Alert>}
        <Field id={ids.password} label="Password" type="password" value={password} onValue={setPassword} autocomplete="current-password" required />
        {codeMethod === 'email' && (
          <div class="inline-actions">
            <button type="button" class="button button-secondary" onClick={send} disabled={wait > 0}>
              Send
            </button>
            {sentTo ? (
              <span class="hint" role="status">
                A code was sent to {sentTo}.{wait > 0 ? ` You can send another in ${wait} s.` : ''}
              </span>
            ) : (
              <span class="hint">Email me a code.</span>
            )}
          </div>
        )}
        {codeMethod !== null && <CodeField id={ids.code} value={code} onValue={setCode} />}
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            Confirm
          </button>
        </div>
      </form>
    </Dialog>
  );
}
