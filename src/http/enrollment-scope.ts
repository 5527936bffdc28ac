/**
 * The one list of what an enrollment token may call (issue 12): a user who must set up two-factor
 * proved the password, and may see who they are, set up an app, email codes or a passkey, and
 * log out. Everything else answers 403 `two_factor_required`; test/http/enrollment-token.test.ts
 * walks every registered route against this list, so a new route cannot slip through.
 */
export const ENROLLMENT_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/me',
  'POST /api/v1/me/two-factor/totp/setup',
  'POST /api/v1/me/two-factor/totp/enable',
  'POST /api/v1/me/two-factor/email/setup',
  'POST /api/v1/me/two-factor/email/enable',
  'POST /api/v1/me/two-factor/webauthn/registration/options',
  'POST /api/v1/me/two-factor/webauthn/registration',
  'POST /api/v1/auth/logout',
]);

/** `url` is the route's pattern (`/api/v1/me/sessions/:id`), not the request's path. */
export function isEnrollmentRoute(method: string, url: string | undefined): boolean {
  return url !== undefined && ENROLLMENT_ROUTES.has(`${method} ${url}`);
}

export const TWO_FACTOR_REQUIRED = 'Set up two-factor authentication to continue.';
