import { render } from 'preact';
import { App } from './app.tsx';
import './styles.css';
import type { JSX } from 'preact';
import { useLanguage } from './i18n.ts';

const root = document.getElementById('app');
/** Re-renders everything in the new language when it changes; state inside the screens is kept. */
function Root(): JSX.Element {
  useLanguage();
  return <App />;
}

if (root) render(<Root />, root);
