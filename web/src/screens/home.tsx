import type { JSX } from 'preact';
import type { Me } from '../api.ts';
import { Link } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { useTitle } from '../title.ts';
import { t } from '../i18n.ts';

export function methodName(method: Me['twoFactor']['method']): string {
  if (method === 'webauthn') return t('Passkey or security key');
  return method === 'email' ? t('Authenticated by Email') : t('Authenticated by Authenticator');
}

export function HomeScreen({ me, notice }: { me: Me; notice: string | null }): JSX.Element {
  useTitle(t('Home'));
  const lowCodes = me.twoFactor.enabled && me.recoveryCodesLeft !== null && me.recoveryCodesLeft <= 3;
  return (
    <section class="page">
      <h1>{t('Welcome, {name}', { name: me.displayName || me.username })}</h1>
      <p class="lead">{t('Your Twofold account keeps your sign-in safe across every client.')}</p>
      {notice && (
        <div class="alert alert-info" role="status">
          {notice}
        </div>
      )}
      <div class="cards">
        <article class="card">
          <h2>{t('Two-factor authentication')}</h2>
          {me.twoFactor.enabled ? (
            <p>
              <span class="badge badge-on">{t('On')}</span> {t('{method}. Logging in needs your password and an authentication code.', { method: methodName(me.twoFactor.method) })}
            </p>
          ) : (
            <p>
              <span class="badge badge-off">{t('Off')}</span> {t('Logging in needs only your password. Turn on two-factor authentication so a stolen password is not enough.')}
            </p>
          )}
          {lowCodes && (
            <p class="hint">
              {t('{left, plural, one {Only # recovery code is left.} other {Only # recovery codes are left.}}', { left: me.recoveryCodesLeft ?? 0 })}
            </p>
          )}
          <Link href={ROUTES.security} class="button button-secondary">
            {t('Open Security Settings')}
          </Link>
        </article>
        <article class="card">
          <h2>{t('Your account')}</h2>
          <dl class="details">
            <dt>{t('Username')}</dt>
            <dd>{me.username}</dd>
            <dt>{t('Name')}</dt>
            <dd>{me.displayName || '—'}</dd>
            <dt>{t('Email')}</dt>
            <dd>{me.email ?? t('No email address')}</dd>
            <dt>{t('Role')}</dt>
            <dd>{me.role === 'admin' ? t('Administrator') : t('User')}</dd>
          </dl>
          <Link href={ROUTES.password} class="button button-secondary">
            {t('Change your password')}
          </Link>
        </article>
      </div>
    </section>
  );
}
