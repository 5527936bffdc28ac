import type { JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { api, messageOf, setEnrollmentToken, setEnrollmentTrust, type Me, type SecondFactorMethod, type TOTPSetup } from '../api.ts';
import { EmailSetupForm } from './email-setup.tsx';
import { PasskeySetupForm } from './passkey-setup.tsx';
import { RecoveryCodes } from './recovery-codes.tsx';
import { TOTPSetupForm } from './totp-setup.tsx';
import { Alert } from './ui.tsx';
import { t } from '../i18n.ts';

interface Props {
  /** The login's enrollment token: it opens only this setup. */
  token: string;
  /** How long "Trust this device" lasts; 0 when the server turned the option off. */
  trustedDeviceDays: number;
  /** The setup ended with "Edited successfully.": the session cookie is set, go home. */
  onFinished: () => void;
  onRestart: (message: string | null) => void;
}

/**
 * The login's required step when the administrators require two-factor (or after a code from an
 * administrator): set up an authenticator now, and the login then ends with a session.
 */
export function RequiredEnrollment({ token, trustedDeviceDays, onFinished, onRestart }: Props): JSX.Element {
  const [trust, setTrust] = useState(false);
  const trustId = useId();
  const [me, setMe] = useState<Me | null>(null);
  const [method, setMethod] = useState<SecondFactorMethod | null>(null);
  const [setup, setSetup] = useState<TOTPSetup | null>(null);
  const [codes, setCodes] = useState<{ codes: string[]; method: SecondFactorMethod } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEnrollmentToken(token);
    api.me({ quiet401: true }).then(setMe, (failure: unknown) => onRestart(messageOf(failure)));
    return () => setEnrollmentToken(null);
  }, [token]);

  const choose = async (next: SecondFactorMethod): Promise<void> => {
    setMethod(next);
    setError(null);
    if (next === 'totp' && setup === null) {
      try {
        setSetup(await api.startTOTPSetup());
      } catch (failure) {
        setError(messageOf(failure));
      }
    }
  };

  const done = (result: { recoveryCodes?: string[] }, kind: SecondFactorMethod): void => {
    // The enrollment token is spent; from here on the session cookie speaks for this tab.
    setEnrollmentToken(null);
    if (result.recoveryCodes && result.recoveryCodes.length > 0) setCodes({ codes: result.recoveryCodes, method: kind });
    else onFinished();
  };

  if (codes !== null && me !== null) {
    return <RecoveryCodes codes={codes.codes} username={me.username} method={codes.method} onDone={onFinished} />;
  }
  const recovering = me?.enrollment?.reason === 'admin_recovery';
  return (
    <div class="required-enrollment">
      <h1>{t('Set Up Two-Factor Authentication')}</h1>
      <p class="lead">
        {recovering
          ? t('Set up a new authenticator to finish logging in. When it is saved, your old authenticators and recovery codes stop working and your other sessions end.')
          : t('Your administrator requires two-factor authentication for your account. Set it up now to finish logging in.')}
      </p>
      {error && <Alert>{error}</Alert>}
      {me === null ? (
        <p class="muted" role="status">
          {t('Loading…')}
        </p>
      ) : (
        <fieldset class="methods">
          <legend>{t('Authentication method')}</legend>
          <label class="radio">
            <input type="radio" name="enroll-method" value="totp" checked={method === 'totp'} onChange={() => void choose('totp')} />
            <span>{t('Authenticated by Authenticator')}</span>
          </label>
          <label class="radio">
            <input type="radio" name="enroll-method" value="email" checked={method === 'email'} disabled={me.email === null} onChange={() => void choose('email')} />
            <span>{t('Authenticated by Email')}</span>
          </label>
          <label class="radio">
            <input type="radio" name="enroll-method" value="webauthn" checked={method === 'webauthn'} onChange={() => void choose('webauthn')} />
            <span>{t('Passkey or security key')}</span>
          </label>
        </fieldset>
      )}
      {me !== null && trustedDeviceDays > 0 && (
        <div class="field">
          <label class="radio" for={trustId}>
            <input
              id={trustId}
              type="checkbox"
              checked={trust}
              onChange={(event) => {
                const checked = (event.currentTarget as HTMLInputElement).checked;
                setTrust(checked);
                setEnrollmentTrust(checked);
              }}
            />
            {t('Trust this device for {days, plural, one {# day} other {# days}}', { days: trustedDeviceDays })}
          </label>
        </div>
      )}
      {me !== null && method === 'totp' && setup !== null && <TOTPSetupForm setup={setup} username={me.username} onEnabled={(result) => done(result, 'totp')} />}
      {me !== null && method === 'email' && me.email !== null && <EmailSetupForm email={me.email} onEnabled={(result) => done(result, 'email')} />}
      {me !== null && method === 'webauthn' && <PasskeySetupForm onAdded={(result) => done(result, 'webauthn')} />}
      <div class="auth-links">
        <button
          type="button"
          class="link-button"
          onClick={() => {
            void api.logout().finally(() => onRestart(null));
          }}
        >
          {t('Back to Log In')}
        </button>
      </div>
    </div>
  );
}
