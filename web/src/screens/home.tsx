import type { JSX } from 'preact';
import type { Me } from '../api.ts';
import { Link } from '../components/ui.tsx';
import { ROUTES } from '../router.ts';
import { useTitle } from '../title.ts';

export function methodName(method: Me['twoFactor']['method']): string {
  if (method === 'webauthn') return 'Passkey or security key';
  return method === 'email' ? 'Authenticated by Email' : 'Authenticated by Authenticator';
}

export function HomeScreen({ me, notice }: { me: Me; notice: string | null }): JSX.Element {
  useTitle('Home');
  const lowCodes = me.twoFactor.enabled && me.recoveryCodesLeft !== null && me.recoveryCodesLeft <= 3;
  return (
    <section class="page">
      <h1>Welcome, {me.displayName || me.username}</h1>
      <p class="lead">Your Twofold account keeps your sign-in safe across every client.</p>
      {notice && (
        <div class="alert alert-info" role="status">
          {notice}
        </div>
      )}
      <div class="cards">
        <article class="card">
          <h2>Two-factor authentication</h2>
          {me.twoFactor.enabled ? (
            <p>
              <span class="badge badge-on">On</span> {methodName(me.twoFactor.method)}. Logging in needs your password and an authentication code.
            </p>
          ) : (
            <p>
              <span class="badge badge-off">Off</span> Logging in needs only your password. Turn on two-factor authentication so a stolen password is not enough.
            </p>
          )}
          {lowCodes && (
            <p class="hint">
              Only {me.recoveryCodesLeft} recovery {me.recoveryCodesLeft === 1 ? 'code is' : 'codes are'} left.
            </p>
          )}
          <Link href={ROUTES.security} class="button button-secondary">
            Open Security Settings
          </Link>
        </article>
        <article class="card">
          <h2>Your account</h2>
          <dl class="details">
            <dt>Username</dt>
            <dd>{me.username}</dd>
            <dt>Name</dt>
            <dd>{me.displayName || '—'}</dd>
            <dt>Email</dt>
            <dd>{me.email ?? 'No email address'}</dd>
            <dt>Role</dt>
            <dd>{me.role === 'admin' ? 'Administrator' : 'User'}</dd>
          </dl>
          <Link href={ROUTES.password} class="button button-secondary">
            Change your password
          </Link>
        </article>
      </div>
    </section>
  );
}
