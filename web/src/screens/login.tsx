import type { JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type ChallengeMethod, type LoginResult, type Me } from '../api.ts';
import { ForgotPassword } from '../components/forgot-password.tsx';
import { Brand } from '../components/layout.tsx';
import { RequiredPasswordChange } from '../components/required-password-change.tsx';
import { Alert, CodeField, Field } from '../components/ui.tsx';
import { useSecondsLeft } from '../countdown.ts';
import { useTitle } from '../title.ts';

interface Challenge {
  id: string;
  methods: ChallengeMethod[];
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
  const [forgot, setForgot] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), password: useId() };
  useTitle(challenge ? 'Authentication Code' : changeToken ? 'Choose a New Password' : forgot ? 'Forgot Password' : 'Log In');

  const finish = async (recoveryCodesLeft?: number): Promise<void> => {
    const me = await api.me();
    const left =
      recoveryCodesLeft === undefined
        ? null
        : `You logged in with a recovery code. ${recoveryCodesLeft} recovery ${recoveryCodesLeft === 1 ? 'code is' : 'codes are'} left.`;
    onLoggedIn(me, left);
  };

  /** What a proven password leads to, from the login or from the required password change. */
  const proceed = async (result: LoginResult): Promise<void> => {
    if (result.status === 'ok') {
      await finish();
      return;
    }
    setPassword('');
    if (result.status === 'password_change_required') {
      setChangeToken(result.passwordChangeToken);
      return;
    }
    setChangeToken(null);
    setChallenge({ id: result.challengeId, methods: result.methods });
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
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
    setChallenge(null);
    setChangeToken(null);
    setForgot(false);
    setPassword('');
    setError(message);
  };

  useEffect(() => {
    if (challenge === null && changeToken === null && !forgot && error !== null) document.getElementById(ids.password)?.focus();
  }, [challenge, changeToken, forgot, error, ids.password]);

  return (
    <div class="auth-page">
      <main class="auth-card" id="main">
        <div class="auth-brand">
          <Brand />
        </div>
        {changeToken ? (
          <RequiredPasswordChange token={changeToken} onResult={(result) => proceed(result).catch((failure: unknown) => restart(messageOf(failure)))} onRestart={restart} />
        ) : forgot ? (
          <ForgotPassword initialUsername={username.trim()} onBack={() => restart(null)} />
        ) : challenge ? (
          <CodeStep
            challenge={challenge}
            onRestart={restart}
            onVerified={(left) => finish(left).catch((failure: unknown) => restart(messageOf(failure)))}
          />
        ) : (
          <form onSubmit={submit} noValidate>
            <h1>Log In</h1>
            <p class="lead">Log in to manage your account and its security.</p>
            {notice && !error && (
              <div class="alert alert-info" role="status">
                {notice}
              </div>
            )}
            {error && <Alert>{error}</Alert>}
            <Field id={ids.username} label="Username" value={username} onValue={setUsername} autocomplete="username" autoCapitalize="none" spellcheck={false} required />
            <Field
              id={ids.password}
              label="Password"
              type="password"
              value={password}
              onValue={setPassword}
              autocomplete="current-password"
              required
            />
            <button type="submit" class="button button-primary button-block" disabled={busy}>
              Log In
            </button>
            <div class="auth-links">
              <button
                type="button"
                class="link-button"
                onClick={() => {
                  setError(null);
                  setForgot(true);
                }}
              >
                Forgot password?
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
  onVerified: (recoveryCodesLeft?: number) => void;
}

function CodeStep({ challenge, onRestart, onVerified }: CodeStepProps): JSX.Element {
  const primary = challenge.methods.find((m) => m !== 'recovery_code') ?? 'totp';
  const canRecover = challenge.methods.includes('recovery_code');
  const [method, setMethod] = useState<ChallengeMethod>(primary);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useSecondsLeft(resendAt);
  const codeId = useId();

  useEffect(() => {
    document.getElementById(codeId)?.focus();
  }, [method, codeId]);

  const verify = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    const value = method === 'recovery_code' ? code.trim() : code;
    if (method !== 'recovery_code' && !/^[0-9]{6}$/.test(value)) {
      setError('Enter the 6-digit code.');
      return;
    }
    if (method === 'recovery_code' && !/^[A-Za-z2-9]{5}[- ]?[A-Za-z2-9]{5}$/.test(value)) {
      setError('Enter a recovery code such as ABCDE-FGHJK.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await api.verifySecondFactor(challenge.id, method, value);
      if (result.status === 'ok') onVerified(result.recoveryCodesLeft);
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
    setError(null);
    try {
      const sent = await api.sendLoginEmailCode(challenge.id);
      setSentTo(sent.sentTo);
      setResendAt(Date.now() + sent.resendAfter * 1000);
      document.getElementById(codeId)?.focus();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'challenge_invalid') onRestart(failure.message);
      else setError(messageOf(failure));
    }
  };

  const switchMethod = (next: ChallengeMethod): void => {
    setMethod(next);
    setCode('');
    setError(null);
  };

  return (
    <form onSubmit={verify} noValidate>
      <h1>Two-Factor Authentication</h1>
      {method === 'totp' && <p class="lead">Open the authenticator app on your phone and enter the 6-digit code it shows for Twofold.</p>}
      {method === 'email' && (
        <div class="lead">
          <p>We email you a 6-digit code to finish logging in.</p>
          <div class="inline-actions">
            <button type="button" class="button button-secondary" onClick={sendEmail} disabled={wait > 0}>
              {sentTo ? 'Send again' : 'Send code'}
            </button>
            {wait > 0 && <span class="hint">You can send another code in {wait} s.</span>}
          </div>
          {sentTo && (
            <p class="hint" role="status">
              A code was sent to {sentTo}.
            </p>
          )}
        </div>
      )}
      {method === 'recovery_code' && <p class="lead">Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once.</p>}
      {error && <Alert>{error}</Alert>}
      {method === 'recovery_code' ? (
        <Field
          id={codeId}
          label="Recovery Code"
          value={code}
          onValue={setCode}
          autocomplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          placeholder="ABCDE-FGHJK"
          class="code-input"
          maxLength={11}
          required
        />
      ) : (
        <CodeField id={codeId} value={code} onValue={setCode} />
      )}
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        Verify
      </button>
      <div class="auth-links">
        {canRecover &&
          (method === 'recovery_code' ? (
            <button type="button" class="link-button" onClick={() => switchMethod(primary)}>
              Use an authentication code instead
            </button>
          ) : (
            <button type="button" class="link-button" onClick={() => switchMethod('recovery_code')}>
              Use a recovery code instead
            </button>
          ))}
        <button type="button" class="link-button" onClick={() => onRestart(null)}>
          Back to Log In
        </button>
      </div>
      <p class="hint auth-help">
        {primary === 'email'
          ? 'If you cannot receive the email and have no recovery codes, ask your administrator to turn off two-factor authentication for your account.'
          : 'Lost your phone and your recovery codes? Ask your administrator to turn off two-factor authentication for your account.'}
      </p>
    </form>
  );
}
