import type { JSX } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Me, type SecondFactorMethod } from '../api.ts';
import { useSecondsLeft } from '../countdown.ts';
import { Dialog } from './dialog.tsx';
import { readAnyCode } from '../codes.ts';
import { Alert, Field } from './ui.tsx';
import { PromptDismissed, PromptFailed, askForPasskey } from '../webauthn.ts';
import { t } from '../i18n.ts';

interface PasswordDialogProps {
  /** Set when two-factor is on: changing it also needs a current code of this method. */
  codeMethod: SecondFactorMethod | null;
  /** Runs after the password (and code) were accepted; may throw an ApiError to show here. */
  onConfirmed: () => Promise<void>;
  onCancel: () => void;
}

/** The "Password" pop-up that confirms a sensitive change. */
export function PasswordDialog({ codeMethod, onConfirmed, onCancel }: PasswordDialogProps): JSX.Element {
  // With a key on the account, the key is offered first; a code (any app's, or a recovery code) stays possible.
  const [useKey, setUseKey] = useState(codeMethod === 'webauthn');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const [recovery, setRecovery] = useState(false);
  const wait = useSecondsLeft(resendAt);
  const ids = { password: useId(), code: useId() };
  const sending = useRef(false);

  const confirm = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (password === '') {
      setError(t('Enter your account password.'));
      document.getElementById(ids.password)?.focus();
      return;
    }
    // The API takes a current code or a recovery code here; either is accepted however it was pasted.
    const normalized = codeMethod === null || useKey ? undefined : readAnyCode(code);
    if (normalized === null) {
      setError(recovery ? t('Enter a recovery code such as ABCDE-FGHJK.') : t('Enter the 6-digit authentication code, or a recovery code.'));
      document.getElementById(ids.code)?.focus();
      return;
    }
    setBusy(true);
    try {
      if (useKey) {
        const response = await askForPasskey(await api.reauthWebAuthnOptions());
        await api.reauthWithWebAuthn(password, response);
      } else {
        await api.reauth(password, normalized);
      }
      await onConfirmed();
    } catch (failure) {
      if (failure instanceof PromptDismissed) return;
      setError(failure instanceof PromptFailed ? failure.message : messageOf(failure));
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
    if (sending.current) return;
    sending.current = true;
    setError(null);
    try {
      const sent = await api.sendReauthEmailCode();
      setSentTo(sent.sentTo);
      setResendAt(Date.now() + sent.resendAfter * 1000);
      document.getElementById(ids.code)?.focus();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'too_many_attempts' && failure.details.retryAfter !== undefined) {
        setResendAt(Date.now() + failure.details.retryAfter * 1000);
      } else setError(messageOf(failure));
    } finally {
      sending.current = false;
    }
  };

  const switchToRecovery = (next: boolean): void => {
    setRecovery(next);
    setCode('');
    requestAnimationFrame(() => document.getElementById(ids.code)?.focus());
  };

  const description =
    codeMethod === null
      ? t('Enter your account password to verify this operation.')
      : useKey
        ? t('Enter your account password and confirm with your passkey or security key to verify this operation.')
        : t('Enter your account password and a current authentication code, or one of your recovery codes, to verify this operation.');

  return (
    <Dialog title={t('Password')} onClose={onCancel} description={description}>
      <form onSubmit={confirm} noValidate>
        {error && <Alert>{error}</Alert>}
        <Field id={ids.password} label={t('Password')} type="password" value={password} onValue={setPassword} autocomplete="current-password" required />
        {codeMethod === 'email' && !recovery && (
          <div class="inline-actions">
            <button type="button" class="button button-secondary" onClick={send} disabled={wait > 0}>
              {sentTo ? t('Send again') : t('Send code')}
            </button>
            <span class="hint" role="status">
              {sentTo && wait > 0 && t('A code was sent to {address}. You can send another in {seconds} s.', { address: sentTo, seconds: wait })}
              {sentTo && wait === 0 && t('A code was sent to {address}.', { address: sentTo })}
              {!sentTo && (wait > 0 ? t('You can send a code in {seconds} s.', { seconds: wait }) : t('Select Send code to get a code by email.'))}
            </span>
          </div>
        )}
        {codeMethod !== null && !useKey && (
          <>
            <Field
              id={ids.code}
              label={recovery ? t('Recovery Code') : t('Authentication Code')}
              value={code}
              onValue={setCode}
              class={recovery ? 'code-input code-input-recovery' : 'code-input'}
              hint={recovery ? t('Any case; the dash is optional.') : undefined}
              hintFirst
              inputMode={recovery ? 'text' : 'numeric'}
              autocomplete={recovery ? 'off' : 'one-time-code'}
              autoCapitalize={recovery ? 'characters' : 'off'}
              placeholder={recovery ? 'ABCDE-FGHJK' : undefined}
              spellcheck={false}
              required
            />
            <p class="dialog-switch">
              <button type="button" class="link-button" onClick={() => switchToRecovery(!recovery)}>
                {recovery ? t('Use an authentication code instead') : t('Use a recovery code instead')}
              </button>
            </p>
          </>
        )}
        {codeMethod === 'webauthn' && (
          <p>
            <button type="button" class="link-button" onClick={() => { setUseKey(!useKey); setError(null); }}>
              {useKey ? t('Use an authentication code instead') : t('Use your passkey or security key instead')}
            </button>
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onCancel}>
            {t('Cancel')}
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            {useKey ? t('Use your passkey or security key') : t('Confirm')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What the Password window asks of this account: a current code too while its two-factor is on. */
export function reauthCodeMethod(me: Me): SecondFactorMethod | null {
  return me.twoFactor.enabled ? (me.twoFactor.method ?? 'totp') : null;
}

function isReauthRequired(failure: unknown): boolean {
  return failure instanceof ApiError && failure.code === 'reauth_required';
}

interface ReauthPrompt {
  codeMethod: SecondFactorMethod | null;
  retry: () => Promise<void>;
  cancel: () => void;
}

interface WithReauthOptions {
  /** Runs just before the Password window opens, in the same render: e.g. to close a window it replaces. */
  onPrompt?: () => void;
}

export interface Reauth {
  /**
   * Runs `action`; when the server answers `reauth_required`, opens the Password window and, once
   * it is confirmed, runs `action` again. Resolves with the action's result, or with `undefined`
   * when the user cancels (then nothing changed, and focus goes back to where it was when this
   * was called). Rejects with any other error of the action, for the caller to show; a repeated
   * `reauth_required` stays in the window.
   */
  withReauth: <T>(action: () => Promise<T>, options?: WithReauthOptions) => Promise<T | undefined>;
  /** The Password window while one is open; render it somewhere in the screen. */
  reauthDialog: JSX.Element | null;
}

/** The Password window on demand, for actions the server may refuse with `reauth_required`. */
export function useReauth(me: Me, refreshMe?: () => Promise<Me | null>): Reauth {
  const [prompt, setPrompt] = useState<ReauthPrompt | null>(null);
  const latest = useRef(me);
  latest.current = me;

  const withReauth = async <T,>(action: () => Promise<T>, options: WithReauthOptions = {}): Promise<T | undefined> => {
    const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    try {
      return await action();
    } catch (failure) {
      if (!isReauthRequired(failure)) throw failure;
    }
    // Whether a code is needed follows the signed-in account's two-factor now, not when the screen opened.
    const current = (await refreshMe?.()) ?? latest.current;
    return new Promise<T | undefined>((resolve, reject) => {
      options.onPrompt?.();
      setPrompt({
        codeMethod: reauthCodeMethod(current),
        retry: async () => {
          let result: T;
          try {
            result = await action();
          } catch (failure) {
            // Still refused (say, a code turned out to be needed): the window shows why and stays.
            if (isReauthRequired(failure)) throw failure;
            setPrompt(null);
            reject(failure);
            return;
          }
          setPrompt(null);
          resolve(result);
        },
        cancel: () => {
          setPrompt(null);
          resolve(undefined);
          // After the caller has re-rendered (a busy button is enabled again), unless it is gone.
          setTimeout(() => {
            if (returnFocus?.isConnected) returnFocus.focus();
          }, 0);
        },
      });
    });
  };

  const reauthDialog = prompt && <PasswordDialog codeMethod={prompt.codeMethod} onConfirmed={prompt.retry} onCancel={prompt.cancel} />;
  return { withReauth, reauthDialog };
}
