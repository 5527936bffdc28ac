import type { JSX } from 'preact';
import { Link } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { useTitle } from '../title.ts';

export function NotFoundScreen(): JSX.Element {
  useTitle('Page not found');
  return (
    <section class="page">
      <h1>Page not found</h1>
      <p class="lead">There is no page at this address.</p>
      <p>
        <Link href={ROUTES.home}>Go to the home page</Link>
      </p>
    </section>
  );
}
