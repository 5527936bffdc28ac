import type { JSX } from 'preact';
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Adoption, type TwoFactorRequirement } from '../api.ts';
import type { Reauth } from './password-dialog.tsx';
import { Alert, Success } from './ui.tsx';
import { formatDateTime, t } from '../i18n.ts';

const CHOICES: { value: TwoFactorRequirement; label: () => string }[] = [
  { value: 'off', label: () => t('Off') },
  { value: 'admins', label: () => t('Administrators only') },
  { value: 'all', label: () => t('All users') },
];

const STATES: Record<Adoption['users'][number]['state'], () => string> = {
  enabled: () => t('Set up'),
  not_required: () => t('Not required'),
  grace: () => t('In grace period'),
  overdue: () => t('Overdue'),
};

const KINDS: Record<'totp' | 'email' | 'webauthn', () => string> = {
  totp: () => t('Authenticator app'),
  email: () => t('Email'),
  webauthn: () => t('Passkey or security key'),
};

function day(iso: string | null): string {
  return iso === null ? '—' : formatDateTime(iso, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** Administration > "Enforce Two-factor Authentication", with who has it and who does not yet. */
export function TwoFactorPolicySection({ withReauth, reloadKey }: { withReauth: Reauth['withReauth']; reloadKey: number }): JSX.Element {
  const [adoption, setAdoption] = useState<Adoption | null>(null);
  const [required, setRequired] = useState<TwoFactorRequirement>('off');
  const [days, setDays] = useState('0');
  const [filter, setFilter] = useState<'all' | Adoption['users'][number]['state']>('all');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { days: useId(), filter: useId(), title: useId() };

  const load = useCallback(async (): Promise<void> => {
    try {
      const next = await api.adminAdoption();
      setAdoption(next);
      return;
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, reloadKey]);
  useEffect(() => {
    if (adoption === null) return;
    setRequired(adoption.policy.twoFactorRequired);
    setDays(String(adoption.policy.gracePeriodDays));
  }, [adoption?.policy.twoFactorRequired, adoption?.policy.gracePeriodDays]);

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setSaved(null);
    if (!/^[0-9]{1,2}$/.test(days.trim()) || Number(days) > 90) {
      setError(t('The grace period must be a whole number of days from 0 to 90.'));
      document.getElementById(ids.days)?.focus();
      return;
    }
    setBusy(true);
    try {
      const result = await withReauth(() => api.adminSetPolicy({ twoFactorRequired: required, gracePeriodDays: Number(days) }));
      if (result === undefined) return;
      setSaved(t('Edited successfully.'));
      await load();
    } catch (failure) {
      setError(messageOf(failure));
      // Refused (your own two-factor first): the form shows the policy still in force, not the refused one.
      if (failure instanceof ApiError && failure.code === 'conflict' && adoption !== null) {
        setRequired(adoption.policy.twoFactorRequired);
        setDays(String(adoption.policy.gracePeriodDays));
      }
    } finally {
      setBusy(false);
    }
  };

  const rows = adoption === null ? [] : adoption.users.filter((u) => filter === 'all' || u.state === filter);
  const max = adoption === null ? 1 : Math.max(1, adoption.total);
  const bars =
    adoption === null
      ? []
      : [
          { label: t('With two-factor'), value: adoption.withTwoFactor, tone: 'on' },
          { label: KINDS.totp(), value: adoption.byKind.totp, tone: 'kind' },
          { label: KINDS.email(), value: adoption.byKind.email, tone: 'kind' },
          { label: KINDS.webauthn(), value: adoption.byKind.webauthn, tone: 'kind' },
          { label: t('In grace period'), value: adoption.inGrace, tone: 'grace' },
          { label: t('Overdue'), value: adoption.overdue, tone: 'overdue' },
        ];

  return (
    <section class="card" aria-labelledby={ids.title}>
      <h2 id={ids.title} class="card-title-plain">
        {t('Enforce Two-factor Authentication')}
      </h2>
      <p class="hint">{t('Users who must have two-factor and have not set it up are taken to the setup at their next login. Open sessions go on until they end.')}</p>
      {saved && <Success>{saved}</Success>}
      {error && <Alert>{error}</Alert>}
      <form onSubmit={save} noValidate>
        <fieldset class="methods">
          <legend>{t('Require two-factor authentication for')}</legend>
          {CHOICES.map((choice) => (
            <label class="radio" key={choice.value}>
              <input type="radio" name="policy" value={choice.value} checked={required === choice.value} onChange={() => setRequired(choice.value)} />
              <span>{choice.label()}</span>
            </label>
          ))}
        </fieldset>
        <div class="field field-inline">
          <label for={ids.days}>{t('Grace period: users can postpone the setup for')}</label>
          <input id={ids.days} class="input-days" inputMode="numeric" value={days} onInput={(e) => setDays((e.currentTarget as HTMLInputElement).value)} />
          <span>{t('days')}</span>
        </div>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('Save')}
        </button>
      </form>

      <h3 class="subheading">{t('Adoption')}</h3>
      {adoption === null ? (
        <p class="muted">{t('Loading…')}</p>
      ) : (
        <>
          <p>
            {t('{with} of {total, plural, one {# account has} other {# accounts have}} two-factor authentication.', { with: adoption.withTwoFactor, total: adoption.total })}
          </p>
          <div class="adoption-chart" role="img" aria-label={bars.map((b) => `${b.label}: ${b.value}`).join(', ')}>
            {bars.map((bar) => (
              <div class="adoption-row" key={bar.label}>
                <span class="adoption-label">{bar.label}</span>
                <span class="adoption-track">
                  <span class={`adoption-bar adoption-${bar.tone}`} style={{ width: `${(bar.value / max) * 100}%` }} />
                </span>
                <span class="adoption-value">{bar.value}</span>
              </div>
            ))}
          </div>
          <div class="field field-inline">
            <label for={ids.filter}>{t('Show')}</label>
            <select id={ids.filter} value={filter} onChange={(e) => setFilter((e.currentTarget as HTMLSelectElement).value as typeof filter)}>
              <option value="all">{t('All accounts')}</option>
              <option value="grace">{t('In grace period')}</option>
              <option value="overdue">{t('Overdue')}</option>
              <option value="enabled">{t('Set up')}</option>
              <option value="not_required">{t('Not required')}</option>
            </select>
          </div>
          <div class="table-wrap">
            <table class="table" data-testid="adoption-table">
              <thead>
                <tr>
                  <th scope="col">{t('Username')}</th>
                  <th scope="col">{t('Two-factor')}</th>
                  <th scope="col">{t('Status')}</th>
                  <th scope="col">{t('Policy applies since')}</th>
                  <th scope="col">{t('Required by')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((u) => (
                  <tr key={u.username}>
                    <th scope="row">{u.username}</th>
                    <td data-label={t('Two-factor')}>{u.kinds.length === 0 ? t('None') : u.kinds.map((k) => KINDS[k]()).join(', ')}</td>
                    <td data-label={t('Status')}>
                      <span class={`badge badge-${u.state}`}>{STATES[u.state]()}</span>
                    </td>
                    <td data-label={t('Policy applies since')}>{day(u.policySince)}</td>
                    <td data-label={t('Required by')}>{day(u.requiredBy)}</td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr>
                    <td colSpan={5} class="muted">
                      {t('No accounts.')}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
