import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.ts';
import { Alert, Field, Success } from '../components/ui.tsx';
import { t } from '../i18n.ts';

const MIN_LENGTH = 8;

export function ChangePasswordPanel(): JSX.Element {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [mismatch, setMismatch] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { current: useId(), next: useId(), confirm: useId() };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    setDone(null);
    setMismatch(null);
    if (current === '' || next === '') {
      setError(t('Fill in every field.'));
      return;
    }
    if ([...next].length < MIN_LENGTH) {
      setError(t('The new password must be at least {min} characters.', { min: MIN_LENGTH }));
      document.getElementById(ids.next)?.focus();
      return;
    }
    if (next !== confirm) {
      setMismatch(t('The new passwords do not match.'));
      document.getElementById(ids.confirm)?.focus();
      return;
    }
    setBusy(true);
    try {
      const result = await api.changePassword(current, next);
      setDone(result.message);
      setCurrent('');
      setNext('');
      setConfirm('');
    } catch (failure) {
      setError(messageOf(failure));
      if (failure instanceof ApiError && failure.code === 'invalid_credentials') {
        setCurrent('');
        document.getElementById(ids.current)?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel" onSubmit={submit} noValidate>
      <h2 class="panel-title">{t('Change Password')}</h2>
      <p class="muted">{t('After the change, you stay logged in here and every other session of your account ends.')}</p>
      {error && <Alert>{error}</Alert>}
      {done && <Success>{done}</Success>}
      <div class="form-narrow">
        <Field id={ids.current} label={t('Current Password')} type="password" value={current} onValue={setCurrent} autocomplete="current-password" required />
        <Field
          id={ids.next}
          label={t('New Password')}
          type="password"
          value={next}
          onValue={setNext}
          autocomplete="new-password"
          hint={t('At least {min} characters.', { min: MIN_LENGTH })}
          required
        />
        <Field
          id={ids.confirm}
          label={t('Confirm New Password')}
          type="password"
          value={confirm}
          onValue={setConfirm}
          autocomplete="new-password"
          error={mismatch}
          required
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('Save')}
        </button>
      </div>
    </form>
  );
}
