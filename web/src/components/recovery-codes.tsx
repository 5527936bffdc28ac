import type { JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { SecondFactorMethod } from '../api.ts';
import { copyText } from '../clipboard.ts';
import { t } from '../i18n.ts';

interface RecoveryCodesProps {
  codes: string[];
  username: string;
  /** The account's method: what "losing access" means (the phone, or the mailbox). */
  method: SecondFactorMethod;
  onDone: () => void;
  /** Said first, under the heading: for new codes, that the old ones stopped working. */
  notice?: string;
}

/** Shown once, right after two-factor is turned on or new codes are made: the way back in when the codes cannot be had. */
export function RecoveryCodes({ codes, username, method, onDone, notice }: RecoveryCodesProps): JSX.Element {
  const [copied, setCopied] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const titleId = useId();
  // The setup form that had focus is gone: continue reading here.
  useEffect(() => heading.current?.focus(), []);
  const text = `${t('Twofold recovery codes for {username}', { username })}\n${t('Each code logs you in once instead of an authentication code.')}\n\n${codes.join('\n')}\n`;

  const copy = async (): Promise<void> => {
    setCopied((await copyText(text)) ? t('Recovery codes copied.') : t('Select the codes and copy them.'));
  };

  const download = (): void => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `twofold-recovery-codes-${username}.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section class="recovery" aria-labelledby={titleId}>
      <h3 id={titleId} ref={heading} tabIndex={-1}>
        {t('Save your recovery codes')}
      </h3>
      {notice && <p class="recovery-notice">{notice}</p>}
      <p>
        {method === 'webauthn'
          ? t('If you lose your passkey or security key, each of these codes logs you in once instead. Keep them somewhere safe: they are shown only this once.')
          : method === 'email'
            ? t('If you cannot receive the email, each of these codes logs you in once instead of an authentication code. Keep them somewhere safe: they are shown only this once.')
            : t('If you lose your phone, each of these codes logs you in once instead of an authentication code. Keep them somewhere safe, away from your phone: they are shown only this once.')}
      </p>
      <ol class="recovery-list">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div class="inline-actions">
        <button type="button" class="button button-secondary" onClick={copy}>
          {t('Copy codes')}
        </button>
        <button type="button" class="button button-secondary" onClick={download}>
          {t('Download')}
        </button>
        <button type="button" class="button button-primary" onClick={onDone}>
          {t('I have saved them')}
        </button>
      </div>
      <p class="hint" role="status">
        {copied}
      </p>
    </section>
  );
}
