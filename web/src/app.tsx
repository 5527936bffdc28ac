import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, messageOf, setSessionEndedHandler, type Me } from './api.ts';
import { Layout } from './components/layout.tsx';
import { ROUTES, navigate, usePath } from './router.ts';
import { AccountScreen } from './screens/account.tsx';
import { AdminPolicyScreen, AdminScreen } from './screens/admin.tsx';
import { HomeScreen } from './screens/home.tsx';
import { LoginScreen } from './screens/login.tsx';
import { NotFoundScreen } from './screens/not-found.tsx';
import { ResetPasswordScreen } from './screens/reset-password.tsx';
import { browserLanguage, rememberLanguage, setLanguage, t, unsavedLanguage } from './i18n.ts';

type Auth = { state: 'loading' } | { state: 'out'; notice: string | null } | { state: 'in'; me: Me; notice: string | null };

const sessionEnded = (): string =>
  t('Your session ended because it was closed elsewhere: a password or two-factor change, an administrator, or Log Out on another device. Log in again.');
const sessionExpired = (): string => t('Your session ended because it expired. Log in again.');
const loggedOutElsewhere = (): string => t('Your session ended because you logged out in another tab.');

/** The server's `reason` for a session that ended (docs/api.md, "Session ended"), in a sentence. */
const SESSION_END_REASONS: Record<string, () => string> = {
  password_changed: () => t('Your session ended because the password of your account was changed. Log in again.'),
  two_factor_changed: () => t('Your session ended because the two-factor authentication of your account was changed. Log in again.'),
  email_changed: () => t('Your session ended because the email address that receives your codes was changed. Log in again.'),
  revoked: () => t('Your session ended because it was ended from the list of sessions. Log in again.'),
  administrator: () => t('Your session ended because an administrator changed your account. Log in again.'),
  logged_out_elsewhere: () => t('Your session ended because you logged out with it elsewhere. Log in again.'),
  expired: sessionExpired,
};

/** Why the session ended: the server's reason when it gave one, else what this tab can tell. */
function sessionEndNotice(reason: string | null, expired: boolean): string {
  const known = reason === null ? undefined : SESSION_END_REASONS[reason];
  if (known !== undefined) return known();
  return expired ? sessionExpired() : sessionEnded();
}

/**
 * The account's language wins once logged in, except over a pick made on the login page that
 * has not reached the account yet: that pick is saved now (the next login after it).
 */
function applyAccountLanguage(me: Me): void {
  const unsaved = unsavedLanguage();
  if (unsaved !== null) {
    setLanguage(unsaved);
    if (me.language === unsaved) rememberLanguage(unsaved, { unsaved: false });
    else api.setLanguage(unsaved).then(() => rememberLanguage(unsaved, { unsaved: false }), () => undefined);
    return;
  }
  setLanguage(me.language ?? browserLanguage());
}

// Tabs of one browser share the session cookie: a Log Out in one ends the session in all of them.
const tabs = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('twofold-session');
// setTimeout takes at most a signed 32-bit delay.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where to go after logging in: the screen the user asked for before being sent to Log In. */
let returnTo: string = ROUTES.home;

export function App(): JSX.Element {
  const path = usePath();
  const [auth, setAuth] = useState<Auth>({ state: 'loading' });
  const sessionExpiresAt = useRef<number | null>(null);

  const endSession = useCallback((notice: string | null) => {
    setAuth({ state: 'out', notice });
    const here = window.location.pathname;
    if (here !== ROUTES.login) returnTo = here;
    navigate(ROUTES.login, { replace: true });
  }, []);

  useEffect(() => {
    setSessionEndedHandler((_message, reason) => {
      const expired = sessionExpiresAt.current !== null && Date.now() >= sessionExpiresAt.current;
      endSession(sessionEndNotice(reason, expired));
    });
    const onTabMessage = (event: MessageEvent): void => {
      if (event.data === 'logged-out') endSession(loggedOutElsewhere());
    };
    tabs?.addEventListener('message', onTabMessage);
    // A reload after the session ended elsewhere still says why (the cookie is still sent).
    api
      .me({ quiet401: true })
      .then((me) => {
        applyAccountLanguage(me);
        setAuth({ state: 'in', me, notice: null });
      })
      .catch((failure: unknown) => {
        const reason = failure instanceof ApiError ? (failure.details.reason ?? null) : null;
        setAuth({ state: 'out', notice: reason === null ? null : sessionEndNotice(reason, false) });
      });
    return () => {
      setSessionEndedHandler(null);
      tabs?.removeEventListener('message', onTabMessage);
    };
  }, [endSession]);

  // The server ends the session at expiresAt; say so then rather than on the next click.
  const expiresAt = auth.state === 'in' ? Date.parse(auth.me.session.expiresAt) : NaN;
  sessionExpiresAt.current = Number.isNaN(expiresAt) ? null : expiresAt;
  useEffect(() => {
    if (Number.isNaN(expiresAt)) return undefined;
    const timer = setTimeout(() => endSession(sessionExpired()), Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS));
    return () => clearTimeout(timer);
  }, [expiresAt, endSession]);

  useEffect(() => {
    // The reset link works without a session (and whatever session this browser has).
    if (path === ROUTES.resetPassword) return;
    if (auth.state === 'out' && path !== ROUTES.login) {
      returnTo = path;
      navigate(ROUTES.login, { replace: true });
    } else if (auth.state === 'in' && path === ROUTES.login) {
      navigate(ROUTES.home, { replace: true });
    }
  }, [auth.state, path]);

  const refreshMe = useCallback(async (): Promise<Me | null> => {
    try {
      const me = await api.me();
      applyAccountLanguage(me);
      setAuth((previous) => ({ state: 'in', me, notice: previous.state === 'in' ? previous.notice : null }));
      return me;
    } catch {
      return null;
    }
  }, []);

  // Each screen shows the server's truth (an administrator or another tab may have changed
  // things), and a session ended elsewhere is noticed on the next navigation.
  const signedIn = auth.state === 'in';
  useEffect(() => {
    if (signedIn) void refreshMe();
  }, [signedIn, path, refreshMe]);

  if (auth.state === 'loading') {
    return (
      <div class="boot" role="status">
        {t('Loading…')}
      </div>
    );
  }

  if (path === ROUTES.resetPassword) return <ResetPasswordScreen />;

  if (auth.state === 'out') {
    return (
      <LoginScreen
        notice={auth.notice}
        onLoggedIn={(me, notice) => {
          applyAccountLanguage(me);
          setAuth({ state: 'in', me, notice });
          const target = returnTo === ROUTES.login ? ROUTES.home : returnTo;
          returnTo = ROUTES.home;
          navigate(target, { replace: true });
        }}
      />
    );
  }

  const { me } = auth;
  const logOut = (): void => {
    const leave = (): void => {
      tabs?.postMessage('logged-out');
      returnTo = ROUTES.home;
      setAuth({ state: 'out', notice: t('You have logged out.') });
      navigate(ROUTES.login, { replace: true });
    };
    api.logout().then(leave, (failure: unknown) => {
      // A session the server already ended is as good as logged out; anything else means the
      // session (and its HttpOnly cookie) is still alive, which must not be hidden on a shared computer.
      if (failure instanceof ApiError && failure.status === 401) leave();
      else {
        setAuth({ state: 'in', me, notice: t('Could not log out: {reason} Try again.', { reason: messageOf(failure) }) });
        navigate(ROUTES.home);
      }
    });
  };

  const pickLanguage = (code: string): void => {
    rememberLanguage(code, { unsaved: false });
    api.setLanguage(code).then(
      () => void refreshMe(),
      (failure: unknown) => setAuth({ state: 'in', me, notice: t('Could not save the language: {reason}', { reason: messageOf(failure) }) }),
    );
  };

  let screen: JSX.Element;
  if (path === ROUTES.home || path === ROUTES.login) {
    screen = <HomeScreen me={me} notice={auth.notice} />;
  } else if (path === ROUTES.password || path === ROUTES.security) {
    screen = <AccountScreen me={me} tab={path === ROUTES.password ? 'password' : 'security'} refreshMe={refreshMe} />;
  } else if (path === ROUTES.admin) {
    screen = <AdminScreen me={me} refreshMe={refreshMe} />;
  } else if (path === ROUTES.adminPolicy) {
    screen = <AdminPolicyScreen me={me} refreshMe={refreshMe} />;
  } else {
    screen = <NotFoundScreen />;
  }
  // Home shows the notice itself; elsewhere (a login that returned to another screen) it goes on top.
  const onHome = path === ROUTES.home || path === ROUTES.login;
  return (
    <Layout me={me} onLogOut={logOut} onLanguage={pickLanguage}>
      {!onHome && auth.notice && (
        <div class="alert alert-info page-notice" role="status">
          {auth.notice}
        </div>
      )}
      {screen}
    </Layout>
  );
}
