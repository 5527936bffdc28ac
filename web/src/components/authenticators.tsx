import type { JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, messageOf, type AuthenticatorInfo, type Me, type TOTPSetup } from '../api.ts';
import { PasskeySetupForm } from './passkey-setup.tsx';
import { PasswordDialog } from './password-dialog.tsx';
import { TOTPSetupForm } from './totp-setup.tsx';
import { Alert, Field, Success } from './ui.tsx';
import { formatDateTime, t } from '../i18n.ts';

const KINDS: Record<AuthenticatorInfo['type'], () => string> = {
  totp: () => t('Authenticator app'),
  email: () => t('Email'),
  webauthn: () => t('Passkey or security key'),
};
// The server's words for the same refusal (409), shown at once instead of after a Password window.
const onlyOne = (): string => t('This is your only authenticator. To stop using two-factor authentication, turn it off instead.');

/** Marks that this tab showed an authenticator key to this account (to tell a replaced one apart). */
export const TOTP_KEY_SHOWN = 'twofold.totpKeyShown';

function when(iso: string): string {
  return formatDateTime(iso, { dateStyle: 'medium' });
}

/** "about 40 s behind", "about 1 min ahead", "in time": the phone's clock at its last accepted code. */
export function describeClockOffset(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds === 0) return t('clock in time');
  const size = Math.abs(seconds);
  const amount = size < 90 ? t('{seconds} s', { seconds: size }) : t('{minutes} min', { minutes: Math.round(size / 60) });
  return seconds < 0 ? t('clock about {amount} behind', { amount }) : t('clock about {amount} ahead', { amount });
}

type Mode =
  | { kind: 'list' }
  | { kind: 'confirm-add' }
  /** After the Password window: which kind to add. */
  | { kind: 'choose-kind' }
  | { kind: 'adding'; setup: TOTPSetup }
  | { kind: 'adding-passkey' }
  | { kind: 'confirm-remove'; authenticator: AuthenticatorInfo }
  | { kind: 'rename'; authenticator: AuthenticatorInfo };

interface Props {
  me: Me;
  refreshMe: () => Promise<Me | null>;
  onStart: () => void;
}

/** Security Settings' list of authenticators, with Add authenticator, Rename and Remove. */
export function AuthenticatorsSection({ me, refreshMe, onStart }: Props): JSX.Element {
  const [items, setItems] = useState<AuthenticatorInfo[] | null>(null);
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [name, setName] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [replaced, setReplaced] = useState(false);
  const nameId = useId();
  const renameId = useId();
  const latest = useRef(0);

  const load = (): void => {
    const mine = ++latest.current;
    api
      .authenticators()
      .then((result) => {
        if (mine === latest.current) setItems(result.authenticators);
      })
      .catch((failure: unknown) => {
        if (mine === latest.current) setError(messageOf(failure));
      });
  };
  useEffect(load, [me.twoFactor.authenticators]);

  const begin = (next: Mode): void => {
    onStart();
    setMessage(null);
    setError(null);
    setMode(next);
  };

  const startAdding = async (): Promise<void> => {
    const setup = await api.startTOTPSetup();
    // The server hands back the pending key while it is valid (a reload, Cancel and Add again);
    // when it had to make a new one after this tab showed another, say so plainly.
    setReplaced(!setup.reused && sessionStorage.getItem(TOTP_KEY_SHOWN) === me.id);
    sessionStorage.setItem(TOTP_KEY_SHOWN, me.id);
    setName('');
    setMode({ kind: 'adding', setup });
  };

  const chooseApp = async (): Promise<void> => {
    setError(null);
    try {
      await startAdding();
    } catch (failure) {
      // 409 (five apps already) and the like: said in the section.
      setMode({ kind: 'list' });
      setError(messageOf(failure));
    }
  };

  const added = async (): Promise<void> => {
    sessionStorage.removeItem(TOTP_KEY_SHOWN);
    setReplaced(false);
    setMode({ kind: 'list' });
    setMessage(t('Edited successfully.'));
    await refreshMe();
    load();
  };

  const rename = async (event: Event, authenticator: AuthenticatorInfo): Promise<void> => {
    event.preventDefault();
    setError(null);
    try {
      await api.renameAuthenticator(authenticator.id, name);
      setMode({ kind: 'list' });
      setMessage(t('Edited successfully.'));
      load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const askToRemove = (authenticator: AuthenticatorInfo): void => {
    if ((items?.length ?? 0) <= 1) {
      begin({ kind: 'list' });
      setError(onlyOne());
      return;
    }
    begin({ kind: 'confirm-remove', authenticator });
  };

  const remove = async (authenticator: AuthenticatorInfo): Promise<void> => {
    const result = await api.removeAuthenticator(authenticator.id);
    setMode({ kind: 'list' });
    setMessage(result.message);
    await refreshMe();
    load();
  };

  return (
    <section class="authenticators" aria-labelledby="authenticators-title">
      <div class="section-head">
        <h3 id="authenticators-title">{t('Authenticators')}</h3>
        {mode.kind !== 'adding' && mode.kind !== 'adding-passkey' && mode.kind !== 'choose-kind' && (
          <button type="button" class="button button-secondary button-small" onClick={() => begin({ kind: 'confirm-add' })}>
            {t('Add authenticator')}
          </button>
        )}
      </div>
      {message && <Success>{message}</Success>}
      {error && <Alert>{error}</Alert>}
      {items === null ? (
        <p class="muted">{t('Loading…')}</p>
      ) : (
        <ul class="authenticator-list">
          {items.map((a) => {
            const offset = describeClockOffset(a.clockOffsetSeconds);
            return (
              <li key={a.id} class="authenticator">
                {mode.kind === 'rename' && mode.authenticator.id === a.id ? (
                  <form class="rename-form" onSubmit={(event) => void rename(event, a)} noValidate>
                    <Field id={renameId} label={t('Name')} value={name} onValue={setName} maxLength={64} autoComplete="off" />
                    <div class="actions">
                      <button type="submit" class="button button-primary button-small">
                        {t('Save')}
                      </button>
                      <button type="button" class="button button-secondary button-small" onClick={() => setMode({ kind: 'list' })}>
                        {t('Cancel')}
                      </button>
                    </div>
                  </form>
                ) : (
                  <>
                    <div class="authenticator-text">
                      <span class="authenticator-name">{a.name}</span>
                      <span class="badge badge-kind">{KINDS[a.type]()}</span>
                      <span class="hint authenticator-meta">
                        {t('Added {date}', { date: when(a.createdAt) })} · {a.lastUsedAt === null ? t('not used yet') : t('last used {date}', { date: when(a.lastUsedAt) })}
                        {offset ? ` · ${offset}` : ''}
                      </span>
                    </div>
                    <div class="actions">
                      <button
                        type="button"
                        class="button button-secondary button-small"
                        onClick={() => {
                          setName(a.name);
                          begin({ kind: 'rename', authenticator: a });
                        }}
                      >
                        {t('Rename')}
                        <span class="visually-hidden"> {a.name}</span>
                      </button>
                      <button type="button" class="button button-secondary button-small" onClick={() => askToRemove(a)}>
                        {t('Remove')}
                        <span class="visually-hidden"> {a.name}</span>
                      </button>
                    </div>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {mode.kind === 'adding' && (
        <div class="setup-area">
          <Field
            id={nameId}
            label={t('Name')}
            value={name}
            onValue={setName}
            placeholder={t('Work phone')}
            maxLength={64}
            autoComplete="off"
            hint={t('So you can tell your authenticators apart.')}
          />
          {replaced && (
            <div class="alert alert-info" role="status">
              {t('A new QR code replaced the previous one. Delete the old entry from your authenticator app and scan this one.')}
            </div>
          )}
          <TOTPSetupForm
            setup={mode.setup}
            username={me.username}
            onEnabled={(result) => {
              const chosen = name.trim();
              const renamed = chosen !== '' && chosen !== result.authenticator.name ? api.renameAuthenticator(result.authenticator.id, chosen) : Promise.resolve(null);
              void renamed.catch((failure: unknown) => setError(messageOf(failure))).finally(() => void added());
            }}
          />
          <button type="button" class="button button-secondary" onClick={() => setMode({ kind: 'list' })}>
            {t('Cancel')}
          </button>
        </div>
      )}

      {mode.kind === 'choose-kind' && (
        <div class="setup-area">
          <fieldset class="methods">
            <legend>{t('What do you want to add?')}</legend>
            <div class="inline-actions">
              <button type="button" class="button button-secondary" onClick={() => void chooseApp()}>
                {t('Authenticator app')}
              </button>
              <button type="button" class="button button-secondary" onClick={() => setMode({ kind: 'adding-passkey' })}>
                {t('Passkey or security key')}
              </button>
            </div>
          </fieldset>
          <button type="button" class="button button-secondary" onClick={() => setMode({ kind: 'list' })}>
            {t('Cancel')}
          </button>
        </div>
      )}

      {mode.kind === 'adding-passkey' && (
        <div class="setup-area">
          <PasskeySetupForm onAdded={() => void added()} />
          <button type="button" class="button button-secondary" onClick={() => setMode({ kind: 'list' })}>
            {t('Cancel')}
          </button>
        </div>
      )}

      {mode.kind === 'confirm-add' && (
        <PasswordDialog
          codeMethod={me.twoFactor.method ?? 'totp'}
          onCancel={() => setMode({ kind: 'list' })}
          onConfirmed={async () => {
            setMode({ kind: 'choose-kind' });
          }}
        />
      )}
      {mode.kind === 'confirm-remove' && (
        <PasswordDialog codeMethod={me.twoFactor.method ?? 'totp'} onCancel={() => setMode({ kind: 'list' })} onConfirmed={() => remove(mode.authenticator)} />
      )}
    </section>
  );
}
