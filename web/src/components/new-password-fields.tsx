import type { JSX } from 'preact';
import { useId } from 'preact/hooks';
import { Field } from './ui.tsx';
import { t } from '../i18n.ts';

export const MIN_PASSWORD_LENGTH = 8;
export function newPasswordHint(): string {
  return t('At least {min} characters, and not a commonly used password.', { min: MIN_PASSWORD_LENGTH });
}

/** Returns what is wrong with a new password before it is sent, or null (the server has the last word). */
export function checkNewPassword(next: string, confirm: string): { field: 'next' | 'confirm'; message: string } | null {
  if ([...next].length < MIN_PASSWORD_LENGTH) return { field: 'next', message: t('The new password must be at least {min} characters.', { min: MIN_PASSWORD_LENGTH }) };
  if (next !== confirm) return { field: 'confirm', message: t('The new passwords do not match.') };
  return null;
}

interface Props {
  next: string;
  confirm: string;
  onNext: (value: string) => void;
  onConfirm: (value: string) => void;
  error: { field: 'next' | 'confirm'; message: string } | null;
  ids: { next: string; confirm: string };
}

/** "New Password" and "Confirm New Password", as on Change Password. */
export function NewPasswordFields({ next, confirm, onNext, onConfirm, error, ids }: Props): JSX.Element {
  return (
    <>
      <Field
        id={ids.next}
        label={t('New Password')}
        type="password"
        value={next}
        onValue={onNext}
        autocomplete="new-password"
        hint={newPasswordHint()}
        error={error?.field === 'next' ? error.message : null}
        required
      />
      <Field
        id={ids.confirm}
        label={t('Confirm New Password')}
        type="password"
        value={confirm}
        onValue={onConfirm}
        autocomplete="new-password"
        error={error?.field === 'confirm' ? error.message : null}
        required
      />
    </>
  );
}

export function useNewPasswordIds(): { next: string; confirm: string } {
  return { next: useId(), confirm: useId() };
}
