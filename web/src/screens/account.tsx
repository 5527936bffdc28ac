import type { JSX } from 'preact';
import type { Me } from '../api.ts';
import { ROUTES, navigate } from '../router.ts';
import { useTitle } from '../title.ts';
import { ChangePasswordPanel } from './change-password.tsx';
import { SecuritySettingsPanel } from './security-settings.tsx';
import { t } from '../i18n.ts';

type Tab = 'password' | 'security';

const TABS: { tab: Tab; label: () => string; path: string }[] = [
  { tab: 'password', label: () => t('Change Password'), path: ROUTES.password },
  { tab: 'security', label: () => t('Security Settings'), path: ROUTES.security },
];

interface AccountProps {
  me: Me;
  tab: Tab;
  refreshMe: () => Promise<Me | null>;
}

/** "Change Password & Security": two tabs, each its own URL so a reload stays on it. */
export function AccountScreen({ me, tab, refreshMe }: AccountProps): JSX.Element {
  const active = TABS.find((entry) => entry.tab === tab) ?? TABS[0]!;
  useTitle(active.label());

  const onKeyDown = (event: KeyboardEvent): void => {
    const index = TABS.findIndex((entry) => entry.tab === tab);
    let next: number | null = null;
    if (event.key === 'ArrowRight') next = (index + 1) % TABS.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + TABS.length) % TABS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = TABS.length - 1;
    if (next === null) return;
    event.preventDefault();
    const target = TABS[next]!;
    navigate(target.path);
    // Automatic activation: the focused tab is the shown tab.
    requestAnimationFrame(() => document.getElementById(`tab-${target.tab}`)?.focus());
  };

  return (
    <section class="page">
      <h1>{t('Change Password & Security')}</h1>
      <div class="tabs" role="tablist" aria-label={t('Change Password & Security')} onKeyDown={onKeyDown}>
        {TABS.map((entry) => (
          <a
            key={entry.tab}
            id={`tab-${entry.tab}`}
            role="tab"
            href={entry.path}
            class="tab"
            aria-selected={entry.tab === tab}
            aria-controls={`panel-${entry.tab}`}
            tabIndex={entry.tab === tab ? 0 : -1}
            onClick={(event) => {
              event.preventDefault();
              navigate(entry.path);
            }}
          >
            {entry.label()}
          </a>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${active.tab}`} aria-labelledby={`tab-${active.tab}`}>
        {tab === 'password' ? <ChangePasswordPanel key="password" /> : <SecuritySettingsPanel key="security" me={me} refreshMe={refreshMe} />}
      </div>
    </section>
  );
}
