import type { JSX } from 'preact';
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type AdminUser, type Me, type Role } from '../api.ts';
import { Dialog } from '../components/dialog.tsx';
import { DeleteAccountDialog, EditAccountDialog, NewPasswordShown, ResetPasswordDialog } from '../components/admin-account-dialogs.tsx';
import { useReauth, type Reauth } from '../components/password-dialog.tsx';
import { TwoFactorPolicySection } from '../components/admin-policy.tsx';
import { Link } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { copyText } from '../clipboard.ts';
import { Alert, Field, Success } from '../components/ui.tsx';
import { useTitle } from '../title.ts';
import { formatDateTime, t } from '../i18n.ts';

function twoFactorLabel(user: AdminUser): string {
  if (!user.twoFactor.enabled) return t('Off');
  return user.twoFactor.method === 'email' ? t('On · Email') : t('On · Authenticator');
}

/** When a lock ends, as hours and minutes in the viewer's own clock (e.g. "14:05"). */
function lockEnd(iso: string): string {
  return formatDateTime(iso, { hour: 'numeric', minute: '2-digit' });
}

function isLocked(user: AdminUser): boolean {
  return user.passwordLockedUntil !== null || user.secondFactorLockedUntil !== null || user.deviceLockedUntil !== null;
}

/** Ids of a row's parts, for focus and for describing its Unlock button by what is locked. */
function rowIds(user: AdminUser): { header: string; passwordLock: string; deviceLock: string; codeLock: string } {
  return {
    header: `account-${user.id}`,
    passwordLock: `account-${user.id}-password-lock`,
    deviceLock: `account-${user.id}-device-lock`,
    codeLock: `account-${user.id}-code-lock`,
  };
}

interface Props {
  me: Me;
  refreshMe?: () => Promise<Me | null>;
}

export function AdminScreen({ me, refreshMe }: Props): JSX.Element {
  useTitle(t('Administration'));
  if (me.role !== 'admin') {
    return (
      <section class="page">
        <h1>{t('Administration')}</h1>
        <Alert>{t('Only administrators can see this page.')}</Alert>
      </section>
    );
  }
  return <AdminConsole me={me} refreshMe={refreshMe} />;
}

function AdminConsole({ me, refreshMe }: Props): JSX.Element {
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<AdminUser | null>(null);
  const [unlocking, setUnlocking] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ kind: 'edit' | 'reset' | 'delete'; user: AdminUser } | null>(null);
  const [shownPassword, setShownPassword] = useState<{ username: string; password: string } | null>(null);
  const [shownCode, setShownCode] = useState<{ username: string; code: string; expiresAt: string } | null>(null);
  // Administrative writes need the administrator's own recent Password window, as the API asks.
  const { withReauth, reauthDialog } = useReauth(me, refreshMe);

  const load = useCallback(async (): Promise<void> => {
    try {
      setUsers((await api.adminUsers()).users);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  /** Throws what should be shown in the confirmation while that is still open. */
  const disableTwoFactor = async (user: AdminUser): Promise<void> => {
    let prompted = false;
    let result: { message: string } | undefined;
    try {
      result = await withReauth(() => api.adminDisableTwoFactor(user.username), {
        // One window at a time: the Password window takes the confirmation's place.
        onPrompt: () => {
          prompted = true;
          setConfirming(null);
        },
      });
    } catch (failure) {
      if (!prompted) throw failure;
      setError(messageOf(failure));
      return;
    }
    // Cancelled in the Password window: nothing changed.
    if (result === undefined) return;
    setConfirming(null);
    // Name the account: an administrator works down a list, and "Edited successfully." alone says not which row.
    setMessage(t('Edited successfully. Two-factor authentication is off for {username}.', { username: user.username }));
    void load();
  };

  /**
   * Runs an action of the open account dialog through the Password window. What fails before the
   * window opens is thrown back to the dialog; once the window replaced it, the page shows it.
   */
  const runFromDialog = async <T,>(call: () => Promise<T>, done: (result: T) => void): Promise<void> => {
    setMessage(null);
    setError(null);
    let prompted = false;
    let result: T | undefined;
    try {
      result = await withReauth(call, {
        onPrompt: () => {
          prompted = true;
          setDialog(null);
        },
      });
    } catch (failure) {
      if (!prompted) throw failure;
      setError(messageOf(failure));
      return;
    }
    if (result === undefined) return;
    setDialog(null);
    done(result);
    void load();
    void refreshMe?.();
  };

  /** "Issue a recovery code": shown once, to hand to the user; their old authenticators go when they use it. */
  const issueRecoveryCode = async (user: AdminUser): Promise<void> => {
    setMessage(null);
    setError(null);
    try {
      const issued = await withReauth(() => api.adminIssueRecoveryCode(user.username));
      if (issued === undefined) return;
      setShownCode({ username: user.username, ...issued });
      void load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const unlock = async (user: AdminUser): Promise<void> => {
    setMessage(null);
    setError(null);
    setUnlocking(user.id);
    try {
      const result = await withReauth(() => api.adminUnlock(user.username));
      // Cancelled in the Password window: nothing changed, and focus is back on the button.
      if (result === undefined) return;
      setMessage(t('Edited successfully. {username} can log in again.', { username: user.username }));
      await load();
      // The Unlock button goes with the lock: focus stays on the account's row instead of falling to the page.
      document.getElementById(rowIds(user).header)?.focus();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setUnlocking(null);
    }
  };

  // Trusted devices skip the code at login; the administrator can see and forget them.
  const showDevices = async (user: AdminUser): Promise<void> => {
    setMessage(null);
    setError(null);
    try {
      const { devices } = await api.adminTrustedDevices(user.username);
      const listed = devices.map((d) => t('{name} ({client}, until {date})', { name: d.name, client: d.client, date: formatDateTime(d.expiresAt, { dateStyle: 'medium' }) }));
      setMessage(
        devices.length === 0
          ? t('{username} has no trusted devices.', { username: user.username })
          : t('Trusted devices of {username}: {devices}.', { username: user.username, devices: listed.join('; ') }),
      );
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const forgetDevices = async (user: AdminUser): Promise<void> => {
    setMessage(null);
    setError(null);
    try {
      await api.adminForgetDevices(user.username);
      setMessage(t('Edited successfully. Every device of {username} is forgotten: each asks for a code again.', { username: user.username }));
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section class="page">
      <h1>{t('Administration')}</h1>
      <p class="lead">{t('Accounts of this Twofold server and their two-factor status.')}</p>
      <p>
        {/* The link sits where the language puts it in the sentence. */}
        {t('{link} and see who has set it up.', { link: '\u0000' }).split('\u0000')[0]}
        <Link href={ROUTES.adminPolicy} class="link">
          {t('Enforce Two-factor Authentication')}
        </Link>
        {t('{link} and see who has set it up.', { link: '\u0000' }).split('\u0000')[1]}
      </p>
      {message && <Success>{message}</Success>}
      {error && <Alert>{error}</Alert>}
      <section class="card card-flush" aria-labelledby="accounts-title">
        <h2 id="accounts-title" class="card-title">
          {t('Accounts')}
        </h2>
        {users === null ? (
          <p class="muted card-body">{t('Loading…')}</p>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">{t('Username')}</th>
                  <th scope="col">{t('Name')}</th>
                  <th scope="col">{t('Role')}</th>
                  <th scope="col">{t('Two-factor')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('Actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((user) => {
                  const ids = rowIds(user);
                  const lockNotes = [
                    user.passwordLockedUntil ? ids.passwordLock : null,
                    user.deviceLockedUntil ? ids.deviceLock : null,
                    user.secondFactorLockedUntil ? ids.codeLock : null,
                  ];
                  return (
                    <tr key={user.id}>
                      <th scope="row" class="cell-user" id={ids.header} tabIndex={-1}>
                        {user.username}
                        {user.username === me.username && <span class="hint"> {t('(you)')}</span>}
                        {user.email && <span class="cell-sub">{user.email}</span>}
                        {user.disabled && <span class="cell-sub"><span class="badge badge-disabled">{t('Disabled')}</span></span>}
                        {user.passwordChangeRequired && <span class="cell-sub">{t('Must change password at next login')}</span>}
                        {user.passwordLockedUntil && (
                          <span id={ids.passwordLock} class="cell-sub cell-lock">
                            {t('Sign-in locked until {time}', { time: lockEnd(user.passwordLockedUntil) })}
                          </span>
                        )}
                        {user.deviceLockedUntil && (
                          <span id={ids.deviceLock} class="cell-sub cell-lock">
                            {t('A known device is locked until {time}', { time: lockEnd(user.deviceLockedUntil) })}
                          </span>
                        )}
                      </th>
                      <td data-label={t('Name')}>{user.displayName || '—'}</td>
                      <td data-label={t('Role')}>{user.role === 'admin' ? t('Administrator') : t('User')}</td>
                      <td data-label={t('Two-factor')}>
                        <span class={`badge ${user.twoFactor.enabled ? 'badge-on' : 'badge-off'}`}>{twoFactorLabel(user)}</span>
                        {user.secondFactorLockedUntil && (
                          <span id={ids.codeLock} class="cell-sub cell-lock">
                            {t('Code entry locked until {time}', { time: lockEnd(user.secondFactorLockedUntil) })}
                          </span>
                        )}
                      </td>
                      <td class="cell-actions">
                        <div class="row-actions">
                          <button
                            type="button"
                            class="button button-secondary button-small"
                            aria-label={t('Edit {username}', { username: user.username })}
                            onClick={() => {
                              setMessage(null);
                              setError(null);
                              setDialog({ kind: 'edit', user });
                            }}
                          >
                            {t('Edit')}
                          </button>
                          {isLocked(user) && (
                            <button
                              type="button"
                              class="button button-secondary button-small"
                              aria-describedby={lockNotes.filter(Boolean).join(' ')}
                              disabled={unlocking === user.id}
                              onClick={() => void unlock(user)}
                            >
                              {t('Unlock')}
                            </button>
                          )}
                          <button type="button" class="button button-secondary button-small" onClick={() => void showDevices(user)}>
                            {t('Trusted devices')}
                            <span class="visually-hidden"> {t('of {username}', { username: user.username })}</span>
                          </button>
                          <button type="button" class="button button-secondary button-small" onClick={() => void forgetDevices(user)}>
                            {t('Forget devices')}
                            <span class="visually-hidden"> {t('of {username}', { username: user.username })}</span>
                          </button>
                          {user.twoFactor.enabled && (
                            <button
                              type="button"
                              class="button button-danger-outline button-small"
                              onClick={() => {
                                setMessage(null);
                                setError(null);
                                setConfirming(user);
                              }}
                            >
                              {t('Disable Two-Factor Authentication')}
                            </button>
                          )}
                          {!user.disabled && (
                            <button
                              type="button"
                              class="button button-secondary button-small"
                              aria-label={t('Issue a recovery code for {username}', { username: user.username })}
                              onClick={() => void issueRecoveryCode(user)}
                            >
                              {t('Issue a recovery code')}
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateAccountForm
        withReauth={withReauth}
        onCreated={(username) => {
          setMessage(t('Account {username} created.', { username }));
          void load();
        }}
      />
      {dialog?.kind === 'edit' && (
        <EditAccountDialog
          user={dialog.user}
          isSelf={dialog.user.id === me.id}
          onCancel={() => setDialog(null)}
          onSave={(edit) => runFromDialog(() => api.adminEditUser(dialog.user.username, edit), () => setMessage(t('Edited successfully.')))}
          onResetPassword={() => setDialog({ kind: 'reset', user: dialog.user })}
          onDelete={() => setDialog({ kind: 'delete', user: dialog.user })}
        />
      )}
      {dialog?.kind === 'reset' && (
        <ResetPasswordDialog
          user={dialog.user}
          onCancel={() => setDialog(null)}
          onReset={(password) =>
            runFromDialog(
              () => api.adminResetPassword(dialog.user.username, password),
              (result) => setShownPassword({ username: dialog.user.username, password: result.password }),
            )
          }
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteAccountDialog
          user={dialog.user}
          onCancel={() => setDialog(null)}
          onDelete={() => runFromDialog(() => api.adminDeleteUser(dialog.user.username), () => setMessage(t('Account {username} deleted.', { username: dialog.user.username })))}
        />
      )}
      {shownCode && <RecoveryCodeShown {...shownCode} onDone={() => setShownCode(null)} />}
      {shownPassword && <NewPasswordShown username={shownPassword.username} password={shownPassword.password} onDone={() => setShownPassword(null)} />}
      {confirming && (
        <ConfirmDisable user={confirming} onCancel={() => setConfirming(null)} onConfirm={() => disableTwoFactor(confirming)} />
      )}
      {reauthDialog}
    </section>
  );
}

/** Administration > "Enforce Two-factor Authentication": the policy, and who has two-factor. */
export function AdminPolicyScreen({ me, refreshMe }: Props): JSX.Element {
  useTitle(t('Enforce Two-factor Authentication'));
  const { withReauth, reauthDialog } = useReauth(me, refreshMe);
  if (me.role !== 'admin') {
    return (
      <section class="page">
        <h1>{t('Administration')}</h1>
        <Alert>{t('Only administrators can see this page.')}</Alert>
      </section>
    );
  }
  return (
    <section class="page">
      <h1>{t('Administration')}</h1>
      <p class="lead">
        <Link href={ROUTES.admin} class="link">
          {t('Accounts')}
        </Link>{' '}
        › {t('Enforce Two-factor Authentication')}
      </p>
      <TwoFactorPolicySection withReauth={withReauth} reloadKey={0} />
      {reauthDialog}
    </section>
  );
}

function RecoveryCodeShown({ username, code, expiresAt, onDone }: { username: string; code: string; expiresAt: string; onDone: () => void }): JSX.Element {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <Dialog
      title={t('Recovery code for {username}', { username })}
      onClose={onDone}
      description={t(
        'Shown only this once, valid until {time} and for one login. Give it to {username} after checking who is asking. With their password they choose "{choice}", then set up a new authenticator; their old ones stop working then.',
        { time: formatDateTime(expiresAt), username, choice: t('I have a code from my administrator') },
      )}
    >
      <div class="secret-box">
        <div class="secret-row">
          <code class="secret" data-testid="recovery-code">
            {code}
          </code>
          <button type="button" class="button button-secondary button-small" onClick={async () => setCopied((await copyText(code)) ? t('Code copied.') : t('Select the code and copy it.'))}>
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

function ConfirmDisable({ user, onCancel, onConfirm }: { user: AdminUser; onCancel: () => void; onConfirm: () => Promise<void> }): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={t('Disable Two-Factor Authentication')}
      onClose={onCancel}
      description={
        user.twoFactor.method === 'email'
          ? t('{username} will log in with only their username and password. Every session of {username} ends now. Do this only after checking who is asking, for example when they cannot receive the email.', { username: user.username })
          : t('{username} will log in with only their username and password. Every session of {username} ends now. Do this only after checking who is asking, for example when they lost their phone.', { username: user.username })
      }
    >
      {error && <Alert>{error}</Alert>}
      <div class="dialog-actions">
        <button type="button" class="button button-secondary" onClick={onCancel} data-autofocus>
          {t('Cancel')}
        </button>
        <button type="button" class="button button-danger" onClick={confirm} disabled={busy}>
          {t('Disable')}
        </button>
      </div>
    </Dialog>
  );
}

const MIN_PASSWORD_LENGTH = 8;
const CREATE_FIELDS = ['username', 'password', 'displayName', 'email'] as const;
type CreateField = (typeof CREATE_FIELDS)[number];

function isCreateField(field: string): field is CreateField {
  return (CREATE_FIELDS as readonly string[]).includes(field);
}

function CreateAccountForm({ withReauth, onCreated }: { withReauth: Reauth['withReauth']; onCreated: (username: string) => void }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<CreateField, string>>>({});
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), password: useId(), displayName: useId(), email: useId(), role: useId() };

  /** Shows `message` under `field` and puts the cursor there. */
  const fieldError = (field: CreateField, message: string): void => {
    setFieldErrors({ [field]: message });
    requestAnimationFrame(() => document.getElementById(ids[field])?.focus());
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setFieldErrors({});
    // What the form can judge itself is judged before the Password window opens.
    if (username.trim() === '') return fieldError('username', t('Enter a username.'));
    if (password === '') return fieldError('password', t('Enter an initial password.'));
    if ([...password].length < MIN_PASSWORD_LENGTH) return fieldError('password', t('The password must be at least {min} characters.', { min: MIN_PASSWORD_LENGTH }));
    setBusy(true);
    try {
      const input = {
        username: username.trim(),
        password,
        role,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
      };
      const created = await withReauth(() => api.adminCreateUser(input));
      // Cancelled in the Password window: the form stays as it was.
      if (created === undefined) return;
      onCreated(created.username);
      setUsername('');
      setPassword('');
      setDisplayName('');
      setEmail('');
      setRole('user');
    } catch (failure) {
      // The server judges the rest (a taken name, a common password) before asking for the
      // Password window, and names the field.
      const field = failure instanceof ApiError ? failure.details.field : undefined;
      if (field !== undefined && isCreateField(field)) fieldError(field, messageOf(failure));
      else setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="create-title">
      <h2 id="create-title" class="card-title-plain">
        {t('Create an account')}
      </h2>
      {error && <Alert>{error}</Alert>}
      <div class="form-grid">
        <Field
          id={ids.username}
          label={t('Username')}
          value={username}
          onValue={setUsername}
          error={fieldErrors.username}
          autocomplete="off"
          autoCapitalize="none"
          spellcheck={false}
          required
        />
        <Field
          id={ids.password}
          label={t('Initial Password')}
          type="password"
          value={password}
          onValue={setPassword}
          error={fieldErrors.password}
          autocomplete="new-password"
          hint={t('At least {min} characters, not a commonly used password. Tell it to the person safely.', { min: MIN_PASSWORD_LENGTH })}
          required
        />
        <Field
          id={ids.displayName}
          label={t('Display Name (optional)')}
          value={displayName}
          onValue={setDisplayName}
          error={fieldErrors.displayName}
          autocomplete="off"
        />
        <Field id={ids.email} label={t('Email (optional)')} type="email" value={email} onValue={setEmail} error={fieldErrors.email} autocomplete="off" />
        <div class="field">
          <label for={ids.role}>{t('Role')}</label>
          <select id={ids.role} value={role} onChange={(event) => setRole((event.currentTarget as HTMLSelectElement).value as Role)}>
            <option value="user">{t('User')}</option>
            <option value="admin">{t('Administrator')}</option>
          </select>
        </div>
      </div>
      <button type="submit" class="button button-primary" disabled={busy}>
        {t('Create Account')}
      </button>
    </form>
  );
}
