import type { JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { api, messageOf } from '../api.ts';
import { Alert, Field } from './ui.tsx';
import { t } from '../i18n.ts';

/** "Forgot password?" on the Log In page: the answer is the same whether or not the name exists. */
export function ForgotPassword({ initialUsername, onBack }: { initialUsername: string; onBack: () => void }): JSX.Element {
  const [username, setUsername] = useState(initialUsername);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  useEffect(() => {
    document.getElementById(id)?.focus();
  }, [id]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (username.trim() === '') {
      setError(t('Enter your username.'));
      document.getElementById(id)?.focus();
      return;
    }
    setBusy(true);
    try {
      setSent((await api.requestPasswordReset(username.trim())).message);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <h1>{t('Forgot Password')}</h1>
      {sent ? (
        <div class="alert alert-info" role="status">
          {sent}
        </div>
      ) : (
        <>
          <p class="lead">{t('Enter your username. If your account has a verified email address, we email you a link to choose a new password.')}</p>
          {error && <Alert>{error}</Alert>}
          <Field id={id} label={t('Username')} value={username} onValue={setUsername} autocomplete="username" autoCapitalize="none" spellcheck={false} required />
          <button type="submit" class="button button-primary button-block" disabled={busy}>
            {t('Send Link')}
          </button>
        </>
      )}
      <p class="hint auth-help">{t('No email address on your account? Ask your administrator to reset your password.')}</p>
      <div class="auth-links">
        <button type="button" class="link-button" onClick={onBack}>
          {t('Back to Log In')}
        </button>
      </div>
    </form>
  );
}
