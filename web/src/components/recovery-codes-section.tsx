import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { PasswordDialog } from './password-dialog.tsx';
import { RecoveryCodes } from './recovery-codes.tsx';
import { t } from '../i18n.ts';

function codesLeft(count: number): string {
  return t('{left, plural, one {# recovery code left} other {# recovery codes left}}', { left: count });
}

interface Props {
  me: Me;
  refreshMe: () => Promise<Me | null>;
  /** Called when the user starts this section's action, so the panel can clear an older message. */
  onStart?: () => void;
}

/**
 * While two-factor is on: how many recovery codes are left, and a fresh set behind the "Password"
 * window (password plus a current code, as the API asks). New codes replace every old one.
 */
export function RecoveryCodesSection({ me, refreshMe, onStart }: Props): JSX.Element {
  const [dialogOpen, setDialogOpen] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const left = me.recoveryCodesLeft ?? 0;
  const low = left <= 3;

  const generate = async (): Promise<void> => {
    // An error here (for example the Password window ran out) is shown in the dialog by it.
    const result = await api.regenerateRecoveryCodes();
    setDialogOpen(false);
    setCodes(result.recoveryCodes);
    void refreshMe();
  };

  const done = (): void => {
    // The codes and their buttons are going: continue from the action that made them.
    button.current?.focus();
    setCodes(null);
  };

  return (
    <section class="settings-section" aria-labelledby="recovery-codes-title">
      <div class="section-row">
        <div>
          <h3 id="recovery-codes-title">{t('Recovery Codes')}</h3>
          <p class="muted section-text" id="recovery-codes-count">
            <span class={`badge ${low ? 'badge-warn' : 'badge-on'}`}>{codesLeft(left)}</span>{' '}
            {low
              ? t('You are running out of recovery codes. Generate new ones before you need them.')
              : t('Each code logs you in once when your authentication code is not at hand.')}
          </p>
        </div>
        <button
          ref={button}
          type="button"
          class="button button-secondary"
          aria-describedby="recovery-codes-count"
          onClick={() => {
            onStart?.();
            setCodes(null);
            setDialogOpen(true);
          }}
        >
          {t('Generate New Recovery Codes')}
        </button>
      </div>
      {codes && (
        <RecoveryCodes codes={codes} username={me.username} method={me.twoFactor.method ?? 'totp'} onDone={done} notice={t('Your old recovery codes no longer work: only the codes below do.')} />
      )}
      {dialogOpen && <PasswordDialog codeMethod={me.twoFactor.method ?? 'totp'} onCancel={() => setDialogOpen(false)} onConfirmed={generate} />}
    </section>
  );
}
