import type { JSX } from 'preact';
import { useId } from 'preact/hooks';
import { Field } from './ui.tsx';

export const MIN_PASSWORD_LENGTH = 8;
export const NEW_PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters, and not a commonly used password.`;

/** Returns what is wrong with a new password before it is sent, or null (the server has the last word). */
export function checkNewPassword(next: string, confirm: string): { field: 'next' | 'confirm'; message: string } | null {
  if ([...next].length < MIN_PASSWORD_LENGTH) return { field: 'next', message: `The new password must be at least ${MIN_PASSWORD_LENGTH} characters.` };
  if (next !== confirm) return { field: 'confirm', message: 'The new passwords do not match.' };
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
        label="New Password"
        type="password"
        value={next}
        onValue={onNext}
        autocomplete="new-password"
        hint={NEW_PASSWORD_HINT}
        error={error?.field === 'next' ? error.message : null}
        required
      />
      <Field
        id={ids.confirm}
        label="Confirm New Password"
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
