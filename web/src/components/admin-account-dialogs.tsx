import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { messageOf, type AccountEdit, type AdminUser, type Role } from '../api.ts';
import { copyText } from '../clipboard.ts';
import { Dialog } from './dialog.tsx';
import { Alert, Field } from './ui.tsx';
import { t } from '../i18n.ts';

/** Runs an action from a dialog; what it throws is shown in the dialog while it is still open. */
function useDialogAction(run: () => Promise<void>): { busy: boolean; error: string | null; act: () => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, act };
}

interface EditProps {
  user: AdminUser;
  isSelf: boolean;
  onCancel: () => void;
  onSave: (edit: AccountEdit) => Promise<void>;
  onResetPassword: () => void;
  onDelete: () => void;
}

/** Edit Account: name, email, role and whether the account may log in; the heavier actions sit below. */
export function EditAccountDialog({ user, isSelf, onCancel, onSave, onResetPassword, onDelete }: EditProps): JSX.Element {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email ?? '');
  const [role, setRole] = useState<Role>(user.role);
  const [disabled, setDisabled] = useState(user.disabled);
  const ids = { displayName: useId(), email: useId(), role: useId(), disabled: useId() };
  const edit = (): AccountEdit => {
    const changes: AccountEdit = {};
    if (displayName.trim() !== user.displayName) changes.displayName = displayName.trim();
    const address = email.trim() === '' ? null : email.trim();
    if (address !== user.email) changes.email = address;
    if (role !== user.role) changes.role = role;
    if (disabled !== user.disabled) changes.disabled = disabled;
    return changes;
  };
  const { busy, error, act } = useDialogAction(() => onSave(edit()));
  const submit = (event: Event): void => {
    event.preventDefault();
    if (!busy) void act();
  };

  return (
    <Dialog title={t('Edit {username}', { username: user.username })} onClose={onCancel}>
      <form onSubmit={submit} noValidate>
        {error && <Alert>{error}</Alert>}
        <Field id={ids.displayName} label={t('Display Name')} value={displayName} onValue={setDisplayName} autocomplete="off" />
        <Field
          id={ids.email}
          label={t('Email')}
          type="email"
          value={email}
          onValue={setEmail}
          autocomplete="off"
          hint={t('A new address stays unverified until its owner confirms it from Security Settings.')}
        />
        <div class="field">
          <label for={ids.role}>{t('Role')}</label>
          <select id={ids.role} value={role} onChange={(event) => setRole((event.currentTarget as HTMLSelectElement).value as Role)}>
            <option value="user">{t('User')}</option>
            <option value="admin">{t('Administrator')}</option>
          </select>
        </div>
        <div class="field">
          <label class="radio" for={ids.disabled}>
            <input
              id={ids.disabled}
              type="checkbox"
              class="switch"
              checked={disabled}
              aria-describedby={`${ids.disabled}-hint`}
              onChange={(event) => setDisabled((event.currentTarget as HTMLInputElement).checked)}
            />
            {t('Account disabled')}
          </label>
          <p id={`${ids.disabled}-hint`} class="hint">
            {isSelf ? t('Disabling your own account logs you out at once.') : t('A disabled account cannot log in, and its sessions end when you save.')}
          </p>
        </div>
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onCancel}>
            {t('Cancel')}
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            {t('Save')}
          </button>
        </div>
        <div class="dialog-more">
          <button type="button" class="button button-secondary button-small" onClick={onResetPassword}>
            {t('Reset Password')}
          </button>
          <button type="button" class="button button-danger-outline button-small" onClick={onDelete}>
            {t('Delete Account')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Reset Password: a typed password or a generated one, which the user must replace at the next login. */
export function ResetPasswordDialog({ user, onCancel, onReset }: { user: AdminUser; onCancel: () => void; onReset: (password?: string) => Promise<void> }): JSX.Element {
  const [password, setPassword] = useState('');
  const id = useId();
  const { busy, error, act } = useDialogAction(() => onReset(password === '' ? undefined : password));
  const submit = (event: Event): void => {
    event.preventDefault();
    if (!busy) void act();
  };
  return (
    <Dialog
      title={t('Reset Password')}
      onClose={onCancel}
      description={t('Set a new password for {username}. They must choose their own at their next login; every session of {username} ends now. Two-factor authentication stays as it is.', { username: user.username })}
    >
      <form onSubmit={submit} noValidate>
        {error && <Alert>{error}</Alert>}
        <Field
          id={id}
          label={t('New Password (optional)')}
          type="password"
          value={password}
          onValue={setPassword}
          autocomplete="new-password"
          hint={t('Leave empty to generate one. At least {min} characters, and not a commonly used password.', { min: 8 })}
        />
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onCancel}>
            {t('Cancel')}
          </button>
          <button type="submit" class="button button-danger" disabled={busy}>
            {t('Reset Password')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The password just set, shown this once. */
export function NewPasswordShown({ username, password, onDone }: { username: string; password: string; onDone: () => void }): JSX.Element {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <Dialog
      title={t('New password for {username}', { username })}
      onClose={onDone}
      description={t('Shown only this once. Tell it to the person safely; they choose their own at their next login.')}
    >
      <div class="secret-box">
        <div class="secret-row">
          <code class="secret" data-testid="new-password">
            {password}
          </code>
          <button type="button" class="button button-secondary button-small" onClick={async () => setCopied((await copyText(password)) ? t('Password copied.') : t('Select the password and copy it.'))}>
            {t('Copy')}
          </button>
        </div>
      </div>
      <p class="hint" role="status">
        {copied}
      </p>
      <div class="dialog-actions">
        <button type="button" class="button button-primary" onClick={onDone} data-autofocus>
          {t('Done')}
        </button>
      </div>
    </Dialog>
  );
}

export function DeleteAccountDialog({ user, onCancel, onDelete }: { user: AdminUser; onCancel: () => void; onDelete: () => Promise<void> }): JSX.Element {
  const { busy, error, act } = useDialogAction(onDelete);
  return (
    <Dialog
      title={t('Delete Account')}
      onClose={onCancel}
      description={t('Delete {username}? Their sessions, devices and two-factor credentials are removed and cannot be restored. The audit log keeps what the account did.', { username: user.username })}
    >
      {error && <Alert>{error}</Alert>}
      <div class="dialog-actions">
        <button type="button" class="button button-secondary" onClick={onCancel} data-autofocus>
          {t('Cancel')}
        </button>
        <button type="button" class="button button-danger" onClick={() => void act()} disabled={busy}>
          {t('Delete')}
        </button>
      </div>
    </Dialog>
  );
}
