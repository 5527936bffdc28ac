import type { JSX } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Me } from '../api.ts';
import { useSecondsLeft } from '../countdown.ts';
import { PasswordDialog } from './password-dialog.tsx';
import { Alert, CodeField, Field, Success } from './ui.tsx';
import { t } from '../i18n.ts';

interface Props {
  me: Me;
  refreshMe: () => Promise<Me | null>;
  /** Called when the user starts this section's action, so the panel can clear an older message. */
  onStart?: () => void;
}

type Step = { kind: 'view' } | { kind: 'address' } | { kind: 'code'; sentTo: string };

/**
 * The account's email address. Changing it: the "Password" window (with a current code while
 * two-factor is on), the new address, then the code mailed to it. Nothing changes until that code
 * comes back, so a typo never loses the old address or the email method.
 */
export function EmailSection({ me, refreshMe, onStart }: Props): JSX.Element {
  const [step, setStep] = useState<Step>({ kind: 'view' });
  // 'open' for the Change Email action; 'send' when the window ran out while entering the address.
  const [dialog, setDialog] = useState<'open' | 'send' | null>(null);
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useSecondsLeft(resendAt);
  const changeButton = useRef<HTMLButtonElement>(null);
  const ids = { email: useId(), code: useId(), form: useId() };
  const focus = (id: string): void => {
    requestAnimationFrame(() => document.getElementById(id)?.focus());
  };

  const start = (): void => {
    onStart?.();
    setMessage(null);
    setError(null);
    setDialog('open');
  };

  const cancel = (): void => {
    setStep({ kind: 'view' });
    setError(null);
    setCode('');
    changeButton.current?.focus();
  };

  /** PUT /me/email; errors other than an expired Password window are shown by the caller. */
  const requestCode = async (): Promise<void> => {
    const sent = await api.changeEmail(email.trim());
    setResendAt(Date.now() + sent.resendAfter * 1000);
    setCode('');
    setStep({ kind: 'code', sentTo: sent.sentTo });
    focus(ids.code);
  };

  const send = async (event?: Event): Promise<void> => {
    event?.preventDefault();
    if (busy) return;
    setError(null);
    if (email.trim() === '') {
      setError(t('Enter the new email address.'));
      focus(ids.email);
      return;
    }
    setBusy(true);
    try {
      await requestCode();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'reauth_required') {
        // The Password window is only good for a few minutes: confirm again, then send.
        setDialog('send');
      } else {
        setError(messageOf(failure));
        focus(step.kind === 'code' ? ids.code : ids.email);
      }
    } finally {
      setBusy(false);
    }
  };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!/^[0-9]{6}$/.test(code)) {
      setError(t('Enter the 6-digit code from the email.'));
      focus(ids.code);
      return;
    }
    setBusy(true);
    try {
      const result = await api.verifyEmailChange(code);
      await refreshMe();
      setStep({ kind: 'view' });
      setEmail('');
      setCode('');
      setResendAt(null);
      setMessage(result.message);
      changeButton.current?.focus();
    } catch (failure) {
      setError(messageOf(failure));
      setCode('');
      focus(ids.code);
    } finally {
      setBusy(false);
    }
  };

  const editing = step.kind !== 'view';

  return (
    <section class="settings-section" aria-labelledby="email-section-title">
      <div class="section-row">
        <div>
          <h3 id="email-section-title">{t('Email Address')}</h3>
          <p class="section-text" id="email-section-value">
            {me.email === null ? (
              <span class="muted">{t('No email address')}</span>
            ) : (
              <>
                <span class="email-value">{me.email}</span>{' '}
                <span class={`badge ${me.emailVerified ? 'badge-on' : 'badge-off'}`}>{me.emailVerified ? t('Verified') : t('Not verified')}</span>
              </>
            )}
          </p>
          <p class="hint">
            {me.email === null
              ? t('Add an address with Change Email to receive security notices and email authentication codes.')
              : !me.emailVerified
                ? t('Security notices go only to a verified address. To verify it, choose Change Email and enter the same address to receive a code.')
                : t('Security notices and email authentication codes are sent to this address.')}
          </p>
        </div>
        <button
          ref={changeButton}
          type="button"
          class="button button-secondary"
          aria-describedby="email-section-value"
          aria-expanded={editing}
          aria-controls={ids.form}
          onClick={editing ? () => focus(step.kind === 'code' ? ids.code : ids.email) : start}
        >
          {t('Change Email')}
        </button>
      </div>
      {message && <Success>{message}</Success>}

      {editing && (
        <form id={ids.form} class="setup section-form" onSubmit={step.kind === 'code' ? save : send} noValidate aria-labelledby={`${ids.form}-title`}>
          <h4 id={`${ids.form}-title`} class="setup-title">
            {t('Change your email address')}
          </h4>
          <p class="muted">{t('A code is sent to the new address. The change takes effect when you enter it here; until then your current address keeps working.')}</p>
          {error && <Alert>{error}</Alert>}
          <div class="form-narrow">
            <Field
              id={ids.email}
              label={t('New Email Address')}
              type="email"
              value={email}
              onValue={setEmail}
              autocomplete="email"
              autoCapitalize="none"
              spellcheck={false}
              readOnly={step.kind === 'code'}
              required
            />
          </div>
          {step.kind === 'address' ? (
            <div class="inline-actions">
              <button type="submit" class="button button-primary" disabled={busy}>
                {t('Send Code')}
              </button>
              <button type="button" class="button button-secondary" onClick={cancel}>
                {t('Cancel')}
              </button>
            </div>
          ) : (
            <>
              <div class="inline-actions">
                <button type="button" class="button button-secondary" onClick={() => void send()} disabled={wait > 0 || busy}>
                  {t('Send Again')}
                </button>
                <span class="hint" role="status">
                  {step.kind === 'code' && wait > 0 && t('A code was sent to {address}. You can send another in {seconds} s.', { address: step.sentTo, seconds: wait })}
                  {step.kind === 'code' && wait === 0 && t('A code was sent to {address}.', { address: step.sentTo })}
                </span>
              </div>
              <div>
                <CodeField id={ids.code} value={code} onValue={setCode} hint={t('Enter the 6-digit code from the email sent to the new address.')} />
                <div class="inline-actions">
                  <button type="submit" class="button button-primary" disabled={busy}>
                    {t('Save')}
                  </button>
                  <button type="button" class="button button-secondary" onClick={cancel}>
                    {t('Cancel')}
                  </button>
                </div>
              </div>
            </>
          )}
        </form>
      )}

      {dialog !== null && (
        <PasswordDialog
          codeMethod={me.twoFactor.enabled ? (me.twoFactor.method ?? 'totp') : null}
          onCancel={() => setDialog(null)}
          onConfirmed={async () => {
            const resend = dialog === 'send';
            setDialog(null);
            if (resend) {
              await send();
              return;
            }
            setStep({ kind: 'address' });
            focus(ids.email);
          }}
        />
      )}
    </section>
  );
}
