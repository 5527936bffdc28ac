import type { JSX } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Me, type SecondFactorMethod } from '../api.ts';
import { useSecondsLeft } from '../countdown.ts';
import { Dialog } from './dialog.tsx';
import { Alert, CodeField, Field } from './ui.tsx';
import { PromptDismissed, PromptFailed, askForPasskey } from '../webauthn.ts';

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
    if (codeMethod !== null && !useKey && !/^(?:[0-9]{6}|[A-Za-z2-9]{5}[- ]?[A-Za-z2-9]{5})$/.test(code.trim())) {
      setError(codeMethod === 'webauthn' ? 'Enter a 6-digit authentication code or a recovery code.' : 'Enter the 6-digit authentication code.');
      document.getElementById(ids.code)?.focus();
      return;
    }
    setBusy(true);
    try {
      if (useKey) {
        const response = await askForPasskey(await api.reauthWebAuthnOptions());
        await api.reauthWithWebAuthn(password, response);
      } else {
        await api.reauth(password, codeMethod === null ? undefined : code.trim());
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
      : useKey
        ? 'Enter your account password and confirm with your passkey or security key to verify this operation.'
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
        {codeMethod !== null && !useKey && codeMethod !== 'webauthn' && <CodeField id={ids.code} value={code} onValue={setCode} />}
        {codeMethod === 'webauthn' && !useKey && (
          <Field id={ids.code} label="Authentication Code" value={code} onValue={setCode} autocomplete="one-time-code" spellcheck={false} hint="A code from your authenticator app, or a recovery code." />
        )}
        {codeMethod === 'webauthn' && (
          <p>
            <button type="button" class="link-button" onClick={() => { setUseKey(!useKey); setError(null); }}>
              {useKey ? 'Use an authentication code instead' : 'Use your passkey or security key instead'}
            </button>
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            {useKey ? 'Use your passkey or security key' : 'Confirm'}
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
