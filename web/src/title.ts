import { useEffect } from 'preact/hooks';
import { t } from './i18n.ts';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = t('{title} · Twofold', { title });
  }, [title]);
}
