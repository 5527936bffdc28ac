import { useEffect, useState } from 'preact/hooks';

/** The screens and their URLs: each has its own, so a reload or a shared link stays on it. */
export const ROUTES = {
  login: '/login',
  home: '/',
  password: '/account/password',
  security: '/account/security',
  admin: '/admin',
  /** Administration > Enforce Two-factor Authentication, with the adoption. */
  adminPolicy: '/admin/two-factor',
  /** The link of the password reset mail; reachable without a session. */
  resetPassword: '/reset-password',
} as const;

export type RoutePath = (typeof ROUTES)[keyof typeof ROUTES];

const listeners = new Set<() => void>();

export function currentPath(): string {
  return window.location.pathname;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === currentPath()) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = (): void => setPath(currentPath());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return path;
}

/** An ordinary link that the client routes itself (modifier clicks still open a new tab). */
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(path);
}
