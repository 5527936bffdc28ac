import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Enabled, type Me, type SecondFactorMethod, type TOTPSetup } from '../api.ts';
import { EmailSection } from '../components/email-section.tsx';
import { EmailSetupForm } from '../components/email-setup.tsx';
import { PasskeySetupForm } from '../components/passkey-setup.tsx';
import { PasswordDialog } from '../components/password-dialog.tsx';
import { RecoveryCodesSection } from '../components/recovery-codes-section.tsx';
import { RecoveryCodes } from '../components/recovery-codes.tsx';
import { SessionsSection } from '../components/sessions.tsx';
import { TrustedDevicesSection } from '../components/trusted-devices.tsx';
import { AuthenticatorsSection, TOTP_KEY_SHOWN } from '../components/authenticators.tsx';
import { TOTPSetupForm } from '../components/totp-setup.tsx';
import { Dialog } from '../components/dialog.tsx';
import { Alert, Success } from '../components/ui.tsx';
import { methodName } from './home.tsx';
import { t } from '../i18n.ts';

type Phase =
  | { kind: 'idle' }
  | { kind: 'choose'; method: SecondFactorMethod | null; setup: TOTPSetup | null }
  | { kind: 'codes'; codes: string[]; method: SecondFactorMethod };

const SHOWN_KEY = TOTP_KEY_SHOWN;

interface Props {
  me: Me;
  refreshMe: () => Promise<Me | null>;
}

export function SecuritySettingsPanel({ me, refreshMe }: Props): JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [dialog, setDialog] = useState<'enable' | 'disable' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  // The authenticator key of this visit: switching to Email and back, or Back and forth, keeps it.
  const totpSetup = useRef<TOTPSetup | null>(null);
  const [replacedNotice, setReplacedNotice] = useState(false);
  const [leaving, setLeaving] = useState(false);

  const settingUp = phase.kind === 'choose';
  // The box shows what the server has: on only once Save succeeded (the codes are then on screen).
  const checked = phase.kind === 'codes' || me.twoFactor.enabled;

  // Setup and the recovery codes after it are a history entry of their own: Back asks before
  // throwing the setup (or unsaved codes) away, instead of leaving silently.
  const guarded = phase.kind !== 'idle';
  useEffect(() => {
    if (!guarded) return undefined;
    window.history.pushState({ twofoldStep: 'security-setup' }, '');
    const onBack = (): void => {
      if ((window.history.state as { twofoldStep?: string } | null)?.twofoldStep === 'security-setup') return;
      setLeaving(true);
    };
    window.addEventListener('popstate', onBack);
    return () => {
      window.removeEventListener('popstate', onBack);
      // Ended by the page itself (Done, unticking): its entry goes, so the next Back is not spent on it.
      if ((window.history.state as { twofoldStep?: string } | null)?.twofoldStep === 'security-setup') window.history.back();
    };
  }, [guarded]);

  const stay = (): void => {
    setLeaving(false);
    window.history.pushState({ twofoldStep: 'security-setup' }, '');
  };
  const leave = (): void => {
    setLeaving(false);
    setPhase({ kind: 'idle' });
    totpSetup.current = null;
    // Carry on with the Back the user asked for.
    setTimeout(() => window.history.back(), 0);
  };

  const onCheckbox = (event: MouseEvent): void => {
    // The box only changes once the server agrees; until then it shows the current state.
    event.preventDefault();
    setMessage(null);
    setError(null);
    // The box stays off while setting up: a click then means "on", which the setup below is doing.
    if (settingUp) document.querySelector<HTMLInputElement>('.methods input:not([disabled])')?.focus();
    else if (phase.kind === 'codes') setDialog('disable');
    else setDialog(me.twoFactor.enabled ? 'disable' : 'enable');
  };

  const chooseMethod = async (method: SecondFactorMethod): Promise<void> => {
    if (phase.kind !== 'choose' || phase.method === method) return;
    setError(null);
    if (method === 'totp' && totpSetup.current !== null) {
      setPhase({ kind: 'choose', method, setup: totpSetup.current });
      return;
    }
    setPhase({ kind: 'choose', method, setup: null });
    if (method !== 'totp') return;
    setLoading(true);
    try {
      const setup = await api.startTOTPSetup();
      const shownBefore = sessionStorage.getItem(SHOWN_KEY);
      // The server hands back the pending key while it is valid; when it had to make a new one
      // after the user saw another, the old entry in the app is useless: say so plainly.
      setReplacedNotice(!setup.reused && shownBefore === me.id);
      sessionStorage.setItem(SHOWN_KEY, me.id);
      totpSetup.current = setup;
      setPhase({ kind: 'choose', method: 'totp', setup });
    } catch (failure) {
      setError(messageOf(failure));
      if (failure instanceof ApiError && failure.code === 'reauth_required') setPhase({ kind: 'idle' });
      else setPhase({ kind: 'choose', method: null, setup: null });
    } finally {
      setLoading(false);
    }
  };

  const onEnabled = (method: SecondFactorMethod, result: Enabled): void => {
    totpSetup.current = null;
    setReplacedNotice(false);
    sessionStorage.removeItem(SHOWN_KEY);
    setMessage(result.message);
    setPhase({ kind: 'codes', codes: result.recoveryCodes ?? [], method });
    void refreshMe();
  };

  const clearMessages = (): void => {
    setMessage(null);
    setError(null);
  };

  const disable = async (): Promise<void> => {
    const result = await api.disableTwoFactor();
    // The box unticks together with the message, never after it.
    await refreshMe();
    setDialog(null);
    setPhase({ kind: 'idle' });
    setMessage(result.message);
  };

  return (
    <div class="panel">
      <h2 class="panel-title">{t('Security Settings')}</h2>
      {message && <Success>{message}</Success>}
      {error && <Alert>{error}</Alert>}
      <div class="setting">
        <div class="setting-row">
          <input type="checkbox" id="two-factor-toggle" class="switch" checked={checked} onClick={onCheckbox} aria-describedby="two-factor-help" />
          <label for="two-factor-toggle" class="setting-label">
            {t('Two-Factor Authentication')}
          </label>
        </div>
        <p id="two-factor-help" class="muted setting-help">
          {me.twoFactor.enabled
            ? t('On: {method}. Logging in to every Twofold client needs your password and an authentication code.', { method: methodName(me.twoFactor.method) })
            : t('Logging in needs an authentication code besides your password. This applies to all your Twofold clients.')}
        </p>
      </div>

      {phase.kind === 'choose' && (
        <div class="setup-area">
          <fieldset class="methods">
            <legend>{t('Authentication method')}</legend>
            <label class="radio">
              <input type="radio" name="method" value="totp" checked={phase.method === 'totp'} onChange={() => void chooseMethod('totp')} />
              <span>{t('Authenticated by Authenticator')}</span>
            </label>
            <label class="radio">
              <input
                type="radio"
                name="method"
                value="email"
                checked={phase.method === 'email'}
                disabled={me.email === null}
                aria-describedby={me.email === null ? 'email-method-hint' : undefined}
                onChange={() => void chooseMethod('email')}
              />
              <span>{t('Authenticated by Email')}</span>
            </label>
            <label class="radio">
              <input type="radio" name="method" value="webauthn" checked={phase.method === 'webauthn'} onChange={() => void chooseMethod('webauthn')} />
              <span>{t('Passkey or security key')}</span>
            </label>
            {me.email === null && (
              <p id="email-method-hint" class="hint">
                {t('Your account has no email address. Ask your administrator to add one to use email codes.')}
              </p>
            )}
          </fieldset>
          {loading && (
            <p class="muted" role="status">
              {t('Preparing your authenticator key…')}
            </p>
          )}
          {phase.method === 'totp' && phase.setup && replacedNotice && (
            <div class="alert alert-info" role="status">
              {t('A new QR code replaced the previous one. Delete the old entry from your authenticator app and scan this one.')}
            </div>
          )}
          {phase.method === 'totp' && phase.setup && (
            <TOTPSetupForm setup={phase.setup} username={me.username} onEnabled={(result) => onEnabled('totp', result)} />
          )}
          {phase.method === 'email' && me.email !== null && <EmailSetupForm email={me.email} onEnabled={(result) => onEnabled('email', result)} />}
          {phase.method === 'webauthn' && (
            <PasskeySetupForm onAdded={(result) => onEnabled('webauthn', result)} />
          )}
          <div class="setup-cancel">
            <button
              type="button"
              class="button button-secondary"
              onClick={() => {
                setPhase({ kind: 'idle' });
                setError(null);
                document.getElementById('two-factor-toggle')?.focus();
              }}
            >
              {t('Cancel Setup')}
            </button>
          </div>
        </div>
      )}

      {phase.kind === 'codes' && (
        <RecoveryCodes codes={phase.codes} username={me.username} method={phase.method} onDone={() => setPhase({ kind: 'idle' })} />
      )}

      {me.twoFactor.enabled && phase.kind === 'idle' && <AuthenticatorsSection me={me} refreshMe={refreshMe} onStart={clearMessages} />}

      {/* The count and a fresh set, once the codes just shown on enabling are put away. */}
      {me.twoFactor.enabled && phase.kind === 'idle' && <RecoveryCodesSection me={me} refreshMe={refreshMe} onStart={clearMessages} />}

      <EmailSection me={me} refreshMe={refreshMe} onStart={clearMessages} />

      <TrustedDevicesSection />
      <SessionsSection />

      {dialog === 'enable' && (
        <PasswordDialog
          codeMethod={null}
          onCancel={() => setDialog(null)}
          onConfirmed={async () => {
            setDialog(null);
            setPhase({ kind: 'choose', method: null, setup: null });
          }}
        />
      )}
      {leaving && (
        <Dialog
          title={phase.kind === 'codes' ? t('Leave your recovery codes?') : t('Stop setting up two-factor authentication?')}
          onClose={stay}
          description={
            phase.kind === 'codes'
              ? t('The recovery codes are not shown again. Leave only after you saved them.')
              : t('Two-factor authentication stays off until you finish the setup.')
          }
        >
          <div class="dialog-actions">
            <button type="button" class="button button-secondary" onClick={stay} data-autofocus>
              {phase.kind === 'codes' ? t('Stay') : t('Continue Setup')}
            </button>
            <button type="button" class="button button-primary" onClick={leave}>
              {t('Leave')}
            </button>
          </div>
        </Dialog>
      )}
      {dialog === 'disable' && <PasswordDialog codeMethod={me.twoFactor.method ?? 'totp'} onCancel={() => setDialog(null)} onConfirmed={disable} />}
    </div>
  );
}
