import type { JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type ChallengeMethod, type LoginResult, type Me } from '../api.ts';
import { ForgotPassword } from '../components/forgot-password.tsx';
import { Brand } from '../components/layout.tsx';
import { PasskeyLogin } from '../components/passkey-login.tsx';
import { RequiredPasswordChange } from '../components/required-password-change.tsx';
import { RequiredEnrollment } from '../components/required-enrollment.tsx';
import { WebAuthnStep } from '../components/webauthn-step.tsx';
import { Alert, CodeField, Field, RecoveryCodeField } from '../components/ui.tsx';
import { normalizeRecoveryCode } from '../codes.ts';
import { useSecondsLeft } from '../countdown.ts';
import { useTitle } from '../title.ts';
import { rememberLanguage, t } from '../i18n.ts';
import { LanguagePicker } from '../components/language-picker.tsx';

interface Challenge {
  id: string;
  methods: ChallengeMethod[];
  /** How long "Trust this device" lasts; 0 when the server turned the option off. */
  trustedDeviceDays: number;
}

interface LoginProps {
  notice: string | null;
  onLoggedIn: (me: Me, notice: string | null) => void;
}

export function LoginScreen({ notice, onLoggedIn }: LoginProps): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  // Set when an administrator reset the password: this login must choose a new one first.
  const [changeToken, setChangeToken] = useState<string | null>(null);
  // Set when two-factor must be set up before this login gets a session.
  const [enrollmentToken, setEnrollmentToken] = useState<string | null>(null);
  const [enrollmentDays, setEnrollmentDays] = useState(0);
  const [forgot, setForgot] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ username?: string; password?: string }>({});
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), password: useId() };
  useTitle(enrollmentToken ? t('Set Up Two-Factor Authentication') : challenge ? t('Authentication Code') : changeToken ? t('Choose a New Password') : forgot ? t('Forgot Password') : t('Log In'));


  // The code step is its own history entry: Back returns to the password step, not out of the app.
  useEffect(() => {
    if (challenge === null) return undefined;
    window.history.pushState({ twofoldStep: 'code' }, '');
    const onBack = (): void => {
      if ((window.history.state as { twofoldStep?: string } | null)?.twofoldStep !== 'code') restart(null);
    };
    window.addEventListener('popstate', onBack);
    return () => window.removeEventListener('popstate', onBack);
  }, [challenge]);

  const finish = async (recoveryCodesLeft?: number, serverNotice?: string): Promise<void> => {
    const me = await api.me();
    const left =
      recoveryCodesLeft === undefined
        ? null
        : t('You logged in with a recovery code. {left, plural, one {# recovery code is left.} other {# recovery codes are left.}}', { left: recoveryCodesLeft });
    // The server's notice (say, an administrator turned two-factor off) matters more.
    onLoggedIn(me, serverNotice ?? left);
  };

  /** What a proven password leads to, from the login or from the required password change. */
  const proceed = async (result: LoginResult): Promise<void> => {
    if (result.status === 'ok') {
      await finish(undefined, result.notice);
      return;
    }
    setPassword('');
    if (result.status === 'two_factor_enrollment_required') {
      setChangeToken(null);
      setChallenge(null);
      setEnrollmentToken(result.enrollmentToken);
      setEnrollmentDays(result.trustedDeviceDays ?? 0);
      return;
    }
    if (result.status === 'password_change_required') {
      setChangeToken(result.passwordChangeToken);
      return;
    }
    setChangeToken(null);
    setChallenge({ id: result.challengeId, methods: result.methods, trustedDeviceDays: result.trustedDeviceDays ?? 0 });
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    // Nothing is sent for an empty form: say which field is missing, and go to it.
    const missing = { username: username.trim() === '' ? t('Enter your username.') : undefined, password: password === '' ? t('Enter your password.') : undefined };
    setFieldErrors(missing);
    if (missing.username || missing.password) {
      document.getElementById(missing.username ? ids.username : ids.password)?.focus();
      return;
    }
    setBusy(true);
    try {
      await proceed(await api.login(username.trim(), password));
    } catch (failure) {
      setError(messageOf(failure));
      setPassword('');
      document.getElementById(ids.password)?.focus();
    } finally {
      setBusy(false);
    }
  };

  const restart = (message: string | null): void => {
    // Leaving the code step by a button takes its history entry along, so Back then leaves Log In.
    if ((window.history.state as { twofoldStep?: string } | null)?.twofoldStep === 'code') window.history.replaceState(null, '');
    setChallenge(null);
    setChangeToken(null);
    setEnrollmentToken(null);
    setForgot(false);
    setPassword('');
    setError(message);
  };

  // The page is for logging in: start where the user types next (Username first, the password
  // again after an error or on coming back from the code step).
  useEffect(() => {
    if (challenge !== null || changeToken !== null || enrollmentToken !== null || forgot) return;
    const next = error !== null || username.trim() !== '' ? ids.password : ids.username;
    document.getElementById(next)?.focus();
  }, [challenge, changeToken, enrollmentToken, forgot, error, ids.password, ids.username]);

  return (
    <div class="auth-page">
      <main class="auth-card" id="main">
        <div class="auth-brand">
          <Brand />
          {/* Remembered in this browser, and saved to the account at the next login. */}
          <LanguagePicker id="login-language" onPick={(code) => rememberLanguage(code, { unsaved: true })} />
        </div>
        {enrollmentToken ? (
          <RequiredEnrollment token={enrollmentToken} trustedDeviceDays={enrollmentDays} onFinished={() => void finish().catch((failure: unknown) => restart(messageOf(failure)))} onRestart={restart} />
        ) : changeToken ? (
          <RequiredPasswordChange token={changeToken} onResult={(result) => proceed(result).catch((failure: unknown) => restart(messageOf(failure)))} onRestart={restart} />
        ) : forgot ? (
          <ForgotPassword initialUsername={username.trim()} onBack={() => restart(null)} />
        ) : challenge ? (
          <CodeStep
            challenge={challenge}
            onRestart={restart}
            onEnrollment={(result) => void proceed(result)}
            onVerified={(left, serverNotice) => finish(left, serverNotice).catch((failure: unknown) => restart(messageOf(failure)))}
          />
        ) : (
          <form onSubmit={submit} noValidate>
            <h1>{t('Log In')}</h1>
            <p class="lead">{t('Log in to manage your account and its security.')}</p>
            {notice && !error && (
              <div class="alert alert-info" role="status">
                {notice}
              </div>
            )}
            {error && <Alert>{error}</Alert>}
            {/* "webauthn" lets the browser offer the account's passkeys right in this field (conditional mediation). */}
            <Field
              id={ids.username}
              label={t('Username')}
              value={username}
              onValue={setUsername}
              error={fieldErrors.username}
              autocomplete="username webauthn"
              autoCapitalize="none"
              spellcheck={false}
              required
            />
            <Field
              id={ids.password}
              label={t('Password')}
              type="password"
              value={password}
              onValue={setPassword}
              error={fieldErrors.password}
              autocomplete="current-password"
              required
            />
            <button type="submit" class="button button-primary button-block" aria-disabled={busy} data-busy={busy || undefined}>
              {busy ? t('Logging in…') : t('Log In')}
            </button>
            <PasskeyLogin
              disabled={busy}
              onLoggedIn={() => void finish().catch((failure: unknown) => setError(messageOf(failure)))}
              onError={setError}
            />
            <div class="auth-links">
              <button
                type="button"
                class="link-button"
                onClick={() => {
                  setError(null);
                  setForgot(true);
                }}
              >
                {t('Forgot password?')}
              </button>
            </div>
          </form>
        )}
      </main>
    </div>
  );
}

interface CodeStepProps {
  challenge: Challenge;
  onRestart: (message: string | null) => void;
  onVerified: (recoveryCodesLeft?: number, serverNotice?: string) => void;
  /** A code from an administrator leads to the setup of a new authenticator. */
  onEnrollment: (result: LoginResult) => void;
}

type StepMethod = ChallengeMethod | 'admin_recovery';

/** A code from an administrator: XXXXX-XXXXX-XXXXX, case and separators free. */
function normalizeAdministratorCode(input: string): string | null {
  const canonical = input.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-9]{15}$/.test(canonical) ? `${canonical.slice(0, 5)}-${canonical.slice(5, 10)}-${canonical.slice(10)}` : null;
}

function CodeStep({ challenge, onRestart, onVerified, onEnrollment }: CodeStepProps): JSX.Element {
  // A key first when the account has one (phishing-resistant); the other methods stay a click away.
  const primary = challenge.methods.includes('webauthn') ? 'webauthn' : (challenge.methods.find((m) => m !== 'recovery_code') ?? 'totp');
  const codeMethod = challenge.methods.find((m) => m === 'totp' || m === 'email') ?? null;
  const canRecover = challenge.methods.includes('recovery_code');
  const [method, setMethod] = useState<StepMethod>(primary);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [trust, setTrust] = useState(false);
  const trustId = useId();
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useSecondsLeft(resendAt);
  const codeId = useId();
  const sendId = useId();
  const sending = useRef(false);

  // By email nothing is sent until the user asks: start on Send code, then on the code field.
  useEffect(() => {
    if (method !== 'webauthn') document.getElementById(method === 'email' && sentTo === null ? sendId : codeId)?.focus();
  }, [method, codeId]);

  const verify = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy || method === 'webauthn') return;
    if (method === 'admin_recovery') {
      const given = normalizeAdministratorCode(code);
      if (given === null) {
        setError(t('Enter the code from your administrator, such as ABCDE-FGHJK-MNPQR.'));
        document.getElementById(codeId)?.focus();
        return;
      }
      setBusy(true);
      setError(null);
      try {
        onEnrollment(await api.verifySecondFactor(challenge.id, 'admin_recovery', given));
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === 'challenge_invalid') {
          onRestart(failure.message);
          return;
        }
        setError(messageOf(failure));
        setCode('');
        document.getElementById(codeId)?.focus();
      } finally {
        setBusy(false);
      }
      return;
    }
    const value = method === 'recovery_code' ? normalizeRecoveryCode(code) : code;
    if (method !== 'recovery_code' && !/^[0-9]{6}$/.test(code)) {
      setError(t('Enter the 6-digit code.'));
      document.getElementById(codeId)?.focus();
      return;
    }
    if (value === null) {
      setError(t('Enter a recovery code such as ABCDE-FGHJK.'));
      document.getElementById(codeId)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await api.verifySecondFactor(challenge.id, method, value, trust);
      if (result.status === 'ok') onVerified(result.recoveryCodesLeft, result.notice);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') {
        onRestart(failure.message);
        return;
      }
      setError(messageOf(failure));
      setCode('');
      document.getElementById(codeId)?.focus();
    } finally {
      setBusy(false);
    }
  };

  const sendEmail = async (): Promise<void> => {
    // A double click must send one request: state updates too late to stop the second.
    if (sending.current) return;
    sending.current = true;
    setError(null);
    try {
      const sent = await api.sendLoginEmailCode(challenge.id);
      setSentTo(sent.sentTo);
      setResendAt(Date.now() + sent.resendAfter * 1000);
      document.getElementById(codeId)?.focus();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') onRestart(failure.message);
      else if (failure instanceof ApiError && failure.code === 'too_many_attempts' && failure.details.retryAfter !== undefined) {
        // One countdown, the server's: not a second message that disagrees with it.
        setResendAt(Date.now() + failure.details.retryAfter * 1000);
      } else setError(messageOf(failure));
    } finally {
      sending.current = false;
    }
  };

  const switchMethod = (next: StepMethod): void => {
    setMethod(next);
    setCode('');
    setError(null);
  };

  // Not offered when the server has it off (TWOFOLD_TRUSTED_DEVICE_DAYS=0).
  const trustOption =
    challenge.trustedDeviceDays > 0 ? (
      <div class="field">
        <label class="radio" for={trustId}>
          <input id={trustId} type="checkbox" checked={trust} onChange={(event) => setTrust((event.currentTarget as HTMLInputElement).checked)} />
          {t('Trust this device for {days, plural, one {# day} other {# days}}', { days: challenge.trustedDeviceDays })}
        </label>
      </div>
    ) : null;

  const links = (
    <div class="auth-links">
      {method !== 'webauthn' && primary === 'webauthn' && (
        <button type="button" class="link-button" onClick={() => switchMethod('webauthn')}>
          {t('Use your passkey or security key instead')}
        </button>
      )}
      {method !== 'totp' && method !== 'email' && codeMethod !== null && (
        <button type="button" class="link-button" onClick={() => switchMethod(codeMethod)}>
          {t('Use an authentication code instead')}
        </button>
      )}
      {canRecover && method !== 'recovery_code' && (
        <button type="button" class="link-button" onClick={() => switchMethod('recovery_code')}>
          {t('Use a recovery code instead')}
        </button>
      )}
      {method !== 'admin_recovery' && (
        <button type="button" class="link-button" onClick={() => switchMethod('admin_recovery')}>
          {t('I have a code from my administrator')}
        </button>
      )}
      <button type="button" class="link-button" onClick={() => onRestart(null)}>
        {t('Back to Log In')}
      </button>
    </div>
  );

  if (method === 'webauthn') {
    return (
      <div>
        <h1>{t('Two-Factor Authentication')}</h1>
        <WebAuthnStep
          challengeId={challenge.id}
          trustDevice={trust}
          onRestart={onRestart}
          onVerified={(result) => {
            if (result.status === 'ok') onVerified(result.recoveryCodesLeft);
          }}
        />
        {trustOption}
        {links}
        <p class="hint auth-help">{t('Lost your key and your recovery codes? Ask your administrator to turn off two-factor authentication for your account.')}</p>
      </div>
    );
  }

  return (
    <form onSubmit={verify} noValidate>
      <h1>{t('Two-Factor Authentication')}</h1>
      {method === 'totp' && <p class="lead">{t('Open the authenticator app on your phone and enter the 6-digit code it shows for Twofold.')}</p>}
      {method === 'email' && (
        <div class="lead">
          <p>{sentTo ? t('Enter the 6-digit code from the email to finish logging in.') : t('Select Send code to get a 6-digit code by email.')}</p>
          <div class="inline-actions">
            <button id={sendId} type="button" class="button button-secondary" onClick={sendEmail} disabled={wait > 0}>
              {sentTo ? t('Send again') : t('Send code')}
            </button>
          </div>
          <p class="hint" role="status">
            {sentTo && wait > 0 && t('A code was sent to {address}. You can send another in {seconds} s.', { address: sentTo, seconds: wait })}
            {sentTo && wait === 0 && t('A code was sent to {address}.', { address: sentTo })}
            {!sentTo && wait > 0 && t('You can send a code in {seconds} s.', { seconds: wait })}
          </p>
        </div>
      )}
      {method === 'admin_recovery' && (
        <p class="lead">{t('Enter the code your administrator gave you. You then set up a new authenticator, which replaces your old ones.')}</p>
      )}
      {method === 'recovery_code' && <p class="lead">{t('Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once.')}</p>}
      {error && <Alert>{error}</Alert>}
      {method === 'admin_recovery' ? (
        <Field id={codeId} label={t('Code from your administrator')} value={code} onValue={setCode} autocomplete="off" autoCapitalize="characters" spellcheck={false} required />
      ) : method === 'recovery_code' ? (
        <RecoveryCodeField id={codeId} value={code} onValue={setCode} />
      ) : (
        <CodeField id={codeId} value={code} onValue={setCode} />
      )}
      {trustOption}
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {t('Verify')}
      </button>
      {links}
      <p class="hint auth-help">
        {primary === 'email'
          ? t('If you cannot receive the email and have no recovery codes, ask your administrator to turn off two-factor authentication for your account.')
          : t('Lost your phone and your recovery codes? Ask your administrator for a recovery code.')}
      </p>
    </form>
  );
}
