import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.ts';
import { Brand } from '../components/layout.tsx';
import { NewPasswordFields, checkNewPassword, useNewPasswordIds } from '../components/new-password-fields.tsx';
import { Alert, Link, Success } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { useTitle } from '../title.ts';
import { t } from '../i18n.ts';

/** Where the password reset mail's link leads: `/reset-password?token=...`. */
export function ResetPasswordScreen(): JSX.Element {
  useTitle(t('Reset Password'));
  const [token] = useState(() => {
    const fromLink = new URLSearchParams(window.location.search).get('token') ?? '';
    // The token must not linger in the address bar, the history or a screenshot: it goes before
    // the first paint, not in an effect after it.
    if (window.location.search !== '') window.history.replaceState(null, '', ROUTES.resetPassword);
    return fromLink;
  });
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<{ field: 'next' | 'confirm'; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [expired, setExpired] = useState<string | null>(token === '' ? t('This link is incomplete. Open the link from the mail again, or ask for a new one.') : null);
  const [done, setDone] = useState<string | null>(null);
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
      setDone((await api.confirmPasswordReset(token, next)).message);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') setExpired(failure.message);
      else {
        setError(messageOf(failure));
        setNext('');
        setConfirm('');
        document.getElementById(ids.next)?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  let content: JSX.Element;
  if (done !== null) {
    content = (
      <>
        <Success>{done}</Success>
        <p class="lead">{t('Every session of your account was ended. If two-factor authentication is on, logging in still asks for your code.')}</p>
        <a class="button button-primary button-block" href={ROUTES.login}>
          {t('Log In')}
        </a>
      </>
    );
  } else if (expired !== null) {
    content = (
      <>
        <Alert>{expired}</Alert>
        <a class="button button-primary button-block" href={ROUTES.login}>
          {t('Back to Log In')}
        </a>
      </>
    );
  } else {
    content = (
      <form onSubmit={submit} noValidate>
        <p class="lead">{t('Choose a new password for your account. Every session of your account ends when you save it.')}</p>
        {error && <Alert>{error}</Alert>}
        <NewPasswordFields next={next} confirm={confirm} onNext={setNext} onConfirm={setConfirm} error={problem} ids={ids} />
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t('Save')}
        </button>
        <div class="auth-links">
          <Link href={ROUTES.login} class="link-button">
            {t('Back to Log In')}
          </Link>
        </div>
      </form>
    );
  }
  return (
    <div class="auth-page">
      <main class="auth-card" id="main">
        <div class="auth-brand">
          <Brand />
        </div>
        <h1>{t('Reset Password')}</h1>
        {content}
      </main>
    </div>
  );
}
