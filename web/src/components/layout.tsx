import type { ComponentChildren, JSX } from 'preact';
import type { Me } from '../api.ts';
import { ROUTES } from '../router.ts';
import { AccountMenu } from './account-menu.tsx';
import { Link } from './ui.tsx';
import { formatDateTime, t } from '../i18n.ts';

export function Brand(): JSX.Element {
  return (
    <span class="brand">
      <svg aria-hidden="true" viewBox="0 0 32 32" width="28" height="28">
        <rect width="32" height="32" rx="8" fill="#2952cc" />
        <path d="M10 15v-3a6 6 0 0 1 12 0v3" fill="none" stroke="#fff" stroke-width="2.5" />
        <rect x="8" y="15" width="16" height="11" rx="2" fill="#fff" />
      </svg>
      <span class="brand-name">Twofold</span>
    </span>
  );
}

export function Layout({ me, onLogOut, onLanguage, children }: { me: Me; onLogOut: () => void; onLanguage: (code: string) => void; children: ComponentChildren }): JSX.Element {
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        {t('Skip to content')}
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <Link href={ROUTES.home} class="brand-link" aria-label={t('Twofold home')}>
            <Brand />
          </Link>
          <AccountMenu me={me} onLogOut={onLogOut} onLanguage={onLanguage} />
        </div>
      </header>
      {me.twoFactorRequiredBy && (
        <div class="policy-banner" role="status">
          <span>
            {t('Your administrator requires two-factor authentication. Set it up by {date}; after that, logging in takes you to the setup first.', {
              date: formatDateTime(me.twoFactorRequiredBy, { year: 'numeric', month: 'long', day: 'numeric' }),
            })}
          </span>{' '}
          <Link href={ROUTES.security} class="policy-banner-link">
            {t('Set up now')}
          </Link>
        </div>
      )}
      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
