import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, onSessionsChanged, type AuthenticatorInfo, type Me, type PasskeyAdded } from '../api.ts';
import { PasskeySetupForm } from './passkey-setup.tsx';
import { useReauth } from './password-dialog.tsx';
import { Alert, Success } from './ui.tsx';

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

interface PasskeysSectionProps {
  me: Me;
  refreshMe: () => Promise<Me | null>;
  onStart: () => void;
}

/**
 * The account's passkeys and security keys while two-factor is on: add one (Password window with
 * the second factor first) or remove one. Apps and email do not count toward the 10 keys.
 */
export function PasskeysSection({ me, refreshMe, onStart }: PasskeysSectionProps): JSX.Element {
  const [keys, setKeys] = useState<AuthenticatorInfo[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { withReauth, reauthDialog } = useReauth(me, refreshMe);
  const latest = useRef(0);

  const load = (): void => {
    const mine = ++latest.current;
    api
      .authenticators()
      .then((result) => {
        if (mine === latest.current) setKeys(result.authenticators.filter((a) => a.type === 'webauthn'));
      })
      .catch((failure: unknown) => {
        if (mine === latest.current) setError(messageOf(failure));
      });
  };
  useEffect(() => {
    load();
    return onSessionsChanged(load);
  }, []);

  const startAdding = async (): Promise<void> => {
    onStart();
    setMessage(null);
    setError(null);
    try {
      // Probing for the Password window: the options are asked for again by the form itself.
      const ready = await withReauth(() => api.passkeyRegistrationOptions());
      if (ready !== undefined) setAdding(true);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const onAdded = (result: PasskeyAdded): void => {
    setAdding(false);
    setMessage(result.message);
    load();
    void refreshMe();
  };

  const remove = async (key: AuthenticatorInfo): Promise<void> => {
    onStart();
    setMessage(null);
    setError(null);
    try {
      const result = await withReauth(() => api.removeAuthenticator(key.id));
      if (result === undefined) return;
      setMessage(result.message);
      load();
      await refreshMe();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section class="passkeys" aria-labelledby="passkeys-title">
      <h3 id="passkeys-title">Passkeys and security keys</h3>
      {message && <Success>{message}</Success>}
      {error && <Alert>{error}</Alert>}
      {keys === null ? (
        <p class="muted">Loading…</p>
      ) : keys.length === 0 ? (
        <p class="muted">No passkey yet. A passkey logs you in with your fingerprint, face, screen lock or a security key, and cannot be phished.</p>
      ) : (
        <ul class="session-list">
          {keys.map((key) => (
            <li key={key.id} class="session">
              <div>
                <span class="session-name">{key.name}</span>
                <span class="hint session-meta">
                  Added {when(key.createdAt)}
                  {key.lastUsedAt ? ` · last used ${when(key.lastUsedAt)}` : ' · not used yet'}
                </span>
              </div>
              <button type="button" class="button button-secondary button-small" onClick={() => void remove(key)}>
                Remove<span class="visually-hidden"> {key.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {adding ? (
        <PasskeySetupForm onAdded={onAdded} />
      ) : (
        (keys?.length ?? 0) < 10 && (
          <button type="button" class="button button-secondary" onClick={() => void startAdding()}>
            Add passkey or security key
          </button>
        )
      )}
      {reauthDialog}
    </section>
  );
}
