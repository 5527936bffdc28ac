import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type LoginResult } from '../api.ts';
import { NewPasswordFields, checkNewPassword, useNewPasswordIds } from './new-password-fields.tsx';
import { Alert } from './ui.tsx';
import { t } from '../i18n.ts';

interface Props {
  token: string;
  onResult: (result: LoginResult) => void;
  onRestart: (message: string | null) => void;
}

/** The login's step after an administrator set the password: the user chooses their own. */
export function RequiredPasswordChange({ token, onResult, onRestart }: Props): JSX.Element {
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<{ field: 'next' | 'confirm'; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useNewPasswordIds();

  useEffect(() => {
    document.getElementById(ids.next)?.focus();
  }, [ids.next]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const local = checkNewPassword(next, confirm);
    setProblem(local);
    if (local !== null) {
      document.getElementById(local.field === 'next' ? ids.next : ids.confirm)?.focus();
      return;
    }
    setBusy(true);
    try {
      onResult(await api.changeRequiredPassword(token, next));
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') {
        onRestart(failure.message);
        return;
      }
      setError(messageOf(failure));
      setNext('');
      setConfirm('');
      document.getElementById(ids.next)?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <h1>{t('Choose a New Password')}</h1>
      <p class="lead">{t('Your administrator set a password for you. Choose your own to finish logging in.')}</p>
      {error && <Alert>{error}</Alert>}
      <NewPasswordFields next={next} confirm={confirm} onNext={setNext} onConfirm={setConfirm} error={problem} ids={ids} />
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {t('Save and Continue')}
      </button>
      <div class="auth-links">
        <button type="button" class="link-button" onClick={() => onRestart(null)}>
          {t('Back to Log In')}
        </button>
      </div>
    </form>
  );
}
