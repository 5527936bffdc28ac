import type { JSX } from 'preact';
import { Link } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { useTitle } from '../title.ts';
import { t } from '../i18n.ts';

export function NotFoundScreen(): JSX.Element {
  useTitle(t('Page not found'));
  return (
    <section class="page">
      <h1>{t('Page not found')}</h1>
      <p class="lead">{t('There is no page at this address.')}</p>
      <p>
        <Link href={ROUTES.home}>{t('Go to the home page')}</Link>
      </p>
    </section>
  );
}
