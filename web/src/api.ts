import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './webauthn.ts';
import { currentLanguage, t } from './i18n.ts';

/** The JSON API as the web client sees it. Every error the server sends is `{error:{code,message}}`. */

export type Role = 'user' | 'admin';
export type SecondFactorMethod = 'totp' | 'email' | 'webauthn';
export type ChallengeMethod = SecondFactorMethod | 'webauthn' | 'recovery_code';

export interface TwoFactorStatus {
  enabled: boolean;
  method: SecondFactorMethod | null;
  /** How many authenticators the account has. */
  authenticators: number;
}

export interface AuthenticatorInfo {
  id: string;
  type: SecondFactorMethod;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** The phone's clock offset at the last accepted code (negative: behind); null for email. */
  clockOffsetSeconds: number | null;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  emailVerified: boolean;
  role: Role;
  twoFactor: TwoFactorStatus;
  /** A disabled account cannot log in. */
  disabled: boolean;
  createdAt: string;
}

export interface Me extends User {
  /** The language the account chose (a catalog's tag such as "de"), or null: follow the browser. */
  language: string | null;
  recoveryCodesLeft: number | null;
  /** The administrators require two-factor, which this account may postpone until then (the banner). */
  twoFactorRequiredBy?: string | null;
  /** Set while this tab holds an enrollment token instead of a session: only the setup is open. */
  enrollment?: { reason: 'policy' | 'admin_recovery'; expiresAt: string } | null;
  session: { id: string; client: string; expiresAt: string; amr: string[]; authenticatedAt: string; reauthenticatedAt: string | null };
}

export interface AdminUser extends User {
  secondFactorLockedUntil: string | null;
  /** Set while too many wrong passwords keep this account from signing in. */
  passwordLockedUntil: string | null;
  /** Set while one of the account's known devices is locked by its own wrong passwords. */
  deviceLockedUntil: string | null;
  /** An administrator set the password; the user must choose their own at the next login. */
  passwordChangeRequired: boolean;
}

export interface AccountEdit {
  displayName?: string;
  email?: string | null;
  role?: Role;
  disabled?: boolean;
}

export interface TrustedDevice {
  id: string;
  name: string;
  client: 'web' | 'desktop' | 'mobile';
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}

export type LoginResult =
  | { status: 'ok'; expiresAt: string; user: User; recoveryCodesLeft?: number; notice?: string; twoFactorRequiredBy?: string }
  | { status: 'two_factor_enrollment_required'; enrollmentToken: string; expiresAt: string; trustedDeviceDays?: number }
  | { status: 'second_factor_required'; challengeId: string; methods: ChallengeMethod[]; expiresAt: string; trustedDeviceDays?: number }
  | { status: 'password_change_required'; passwordChangeToken: string; expiresAt: string };

export interface TOTPSetup {
  secret: string;
  otpauthUri: string;
  qrCode: string;
  algorithm: string;
  digits: number;
  period: number;
  reused: boolean;
}

export interface CodeSent {
  sentTo: string;
  resendAfter: number;
}

export interface Enabled {
  message: string;
  /** Only when this turned two-factor on; adding a further authenticator keeps the existing codes. */
  recoveryCodes?: string[];
  authenticator: AuthenticatorInfo;
  /** Set at the end of an enrollment: the login's session (as the cookie) lasts until then. */
  expiresAt?: string;
}

export type TwoFactorRequirement = 'off' | 'admins' | 'all';
export interface TwoFactorPolicy {
  twoFactorRequired: TwoFactorRequirement;
  gracePeriodDays: number;
}
export interface Adoption {
  policy: TwoFactorPolicy;
  total: number;
  withTwoFactor: number;
  byKind: { totp: number; email: number; webauthn: number };
  inGrace: number;
  overdue: number;
  users: { username: string; displayName: string; role: Role; disabled: boolean; kinds: SecondFactorMethod[]; state: 'enabled' | 'not_required' | 'grace' | 'overdue'; policySince: string | null; requiredBy: string | null }[];
}

export interface PasskeyAdded {
  message: string;
  authenticator: AuthenticatorInfo;
  /** Only when this passkey turned two-factor on. */
  recoveryCodes?: string[];
}

export type PasskeyRequestOptions = PublicKeyCredentialRequestOptionsJSON & { passkeyChallengeId: string };

export interface SessionInfo {
  id: string;
  client: string;
  deviceName: string | null;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

/** Optional members of an error (docs/api.md, "Errors"). */
export interface ErrorDetails {
  /** Wrong passwords left before logins pause, sent only when few are left. */
  attemptsLeft?: number;
  /** The request field a `validation_error` is about. */
  field?: string;
  /** Seconds from the `Retry-After` header of a `too_many_attempts`. */
  retryAfter?: number;
  /** Why the session ended, on a 401 `unauthorized` for a token the server remembers (docs/api.md). */
  reason?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let onSessionEnded: ((serverMessage: string, reason: string | null) => void) | null = null;

/** Called when any request answers 401 `unauthorized`: the session is gone (the server says why). */
export function setSessionEndedHandler(handler: ((serverMessage: string, reason: string | null) => void) | null): void {
  onSessionEnded = handler;
}

const sessionListeners = new Set<() => void>();

/**
 * Runs `listener` after each change that ends the account's other sessions (two-factor on or off,
 * a new password, a new address for the email method), so a list of sessions can reload.
 * Returns the unsubscribe function.
 */
export function onSessionsChanged(listener: () => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

/** Passes `result` through after telling the listeners of `onSessionsChanged`. */
function endsOtherSessions<T>(result: Promise<T>): Promise<T> {
  return result.then((value) => {
    for (const listener of [...sessionListeners]) listener();
    return value;
  });
}

// The enrollment token of a login that must set up two-factor first. Kept in this module's memory
// only (never storage): it opens nothing but the setup, and a reload simply starts the login again.
let enrollmentToken: string | null = null;

export function setEnrollmentToken(token: string | null): void {
  enrollmentToken = token;
  if (token === null) enrollmentTrust = false;
}

// "Trust this device" ticked during a required setup: its enable call asks for it, since that
// setup is the login's last step.
let enrollmentTrust = false;

export function setEnrollmentTrust(trust: boolean): void {
  enrollmentTrust = trust;
}

const trustAtEnrollment = (): { trustDevice?: true } => (enrollmentToken !== null && enrollmentTrust ? { trustDevice: true } : {});

async function request<T>(method: string, path: string, body?: unknown, options: { quiet401?: boolean } = {}): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    // The server answers in the account's language, else in this one (the interface's, not only the browser's).
    headers: {
      Accept: 'application/json',
      'Accept-Language': currentLanguage(),
      ...(enrollmentToken === null ? {} : { Authorization: `Bearer ${enrollmentToken}` }),
    },
  };
  if (method !== 'GET') {
    // The server refuses cookie-authenticated writes without this header: a cross-site form cannot set it.
    init.headers = { ...init.headers, 'Content-Type': 'application/json', 'X-CSRF-Protection': '1' };
    init.body = JSON.stringify(body ?? {});
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network_error', t('The server could not be reached. Check your connection and try again.'));
  }
  const text = await response.text();
  let data: unknown = null;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: unknown; message?: unknown; attemptsLeft?: unknown; field?: unknown; reason?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : 'http_error';
    const message = typeof error?.message === 'string' ? error.message : t('The server answered {status}.', { status: response.status });
    const details: ErrorDetails = {};
    if (typeof error?.attemptsLeft === 'number') details.attemptsLeft = error.attemptsLeft;
    if (typeof error?.field === 'string') details.field = error.field;
    if (typeof error?.reason === 'string') details.reason = error.reason;
    const retryAfter = Number(response.headers.get('Retry-After'));
    if (Number.isFinite(retryAfter) && retryAfter > 0) details.retryAfter = retryAfter;
    if (response.status === 401 && code === 'unauthorized' && !options.quiet401) onSessionEnded?.(message, details.reason ?? null);
    throw new ApiError(response.status, code, message, details);
  }
  return data as T;
}

export const api = {
  /** Saves the interface language to the account (its mails and the server's messages follow it). */
  setLanguage: (language: string): Promise<unknown> => request('PUT', '/api/v1/me/language', { language }),
  me: (options: { quiet401?: boolean } = {}): Promise<Me> => request('GET', '/api/v1/me', undefined, options),
  login: (username: string, password: string): Promise<LoginResult> =>
    request('POST', '/api/v1/auth/login', { username, password, client: 'web' }),
  verifySecondFactor: (challengeId: string, method: ChallengeMethod | 'admin_recovery', code: string, trustDevice = false): Promise<LoginResult> =>
    request('POST', '/api/v1/auth/login/second-factor', { challengeId, method, code, ...(trustDevice ? { trustDevice } : {}) }),
  webauthnLoginOptions: (challengeId: string): Promise<PublicKeyCredentialRequestOptionsJSON> =>
    request('POST', '/api/v1/auth/login/webauthn/options', { challengeId }),
  verifyWebAuthn: (challengeId: string, response: AuthenticationResponseJSON, trustDevice = false): Promise<LoginResult> =>
    request('POST', '/api/v1/auth/login/second-factor', { challengeId, method: 'webauthn', response, ...(trustDevice ? { trustDevice } : {}) }),
  trustedDevices: (): Promise<{ devices: TrustedDevice[] }> => request('GET', '/api/v1/me/trusted-devices'),
  removeTrustedDevice: (id: string): Promise<unknown> => request('DELETE', `/api/v1/me/trusted-devices/${encodeURIComponent(id)}`, {}),
  removeAllTrustedDevices: (): Promise<unknown> => request('DELETE', '/api/v1/me/trusted-devices', {}),
  adminTrustedDevices: (username: string): Promise<{ devices: TrustedDevice[] }> =>
    request('GET', `/api/v1/admin/users/${encodeURIComponent(username)}/trusted-devices`),
  adminForgetDevices: (username: string): Promise<unknown> => request('DELETE', `/api/v1/admin/users/${encodeURIComponent(username)}/trusted-devices`, {}),
  passkeyOptions: (): Promise<PasskeyRequestOptions> => request('POST', '/api/v1/auth/login/passkey/options', {}),
  passkeyLogin: (passkeyChallengeId: string, response: AuthenticationResponseJSON): Promise<LoginResult> =>
    request('POST', '/api/v1/auth/login/passkey', { passkeyChallengeId, response, client: 'web' }),
  reauthWebAuthnOptions: (): Promise<PublicKeyCredentialRequestOptionsJSON> => request('POST', '/api/v1/me/reauth/webauthn/options', {}),
  reauthWithWebAuthn: (password: string, webauthn: AuthenticationResponseJSON): Promise<{ reauthenticatedUntil: string }> =>
    request('POST', '/api/v1/me/reauth', { password, webauthn }),
  passkeyRegistrationOptions: (): Promise<PublicKeyCredentialCreationOptionsJSON> =>
    request('POST', '/api/v1/me/two-factor/webauthn/registration/options', {}),
  registerPasskey: (name: string, response: RegistrationResponseJSON): Promise<PasskeyAdded> =>
    endsOtherSessions(request('POST', '/api/v1/me/two-factor/webauthn/registration', { name, response, ...trustAtEnrollment() })),
  /** The login's own step after an administrator set the password; answers as the login would. */
  changeRequiredPassword: (passwordChangeToken: string, newPassword: string): Promise<LoginResult> =>
    request('POST', '/api/v1/auth/password-change', { passwordChangeToken, newPassword }),
  requestPasswordReset: (username: string): Promise<{ message: string }> => request('POST', '/api/v1/auth/password-reset', { username }),
  confirmPasswordReset: (token: string, newPassword: string): Promise<{ message: string }> =>
    request('POST', '/api/v1/auth/password-reset/confirm', { token, newPassword }),
  sendLoginEmailCode: (challengeId: string): Promise<CodeSent> => request('POST', '/api/v1/auth/login/email-code', { challengeId }),
  logout: (): Promise<unknown> => request('POST', '/api/v1/auth/logout', {}, { quiet401: true }),
  reauth: (password: string, code?: string): Promise<{ reauthenticatedUntil: string; secondFactorVerified: boolean }> =>
    request('POST', '/api/v1/me/reauth', code === undefined ? { password } : { password, code }),
  sendReauthEmailCode: (): Promise<CodeSent> => request('POST', '/api/v1/me/reauth/email-code', {}),
  /**
   * Hands back the still-pending secret of an earlier setup when there is one (a reload, a second
   * visit), so the entry the user already scanned keeps working.
   */
  startTOTPSetup: (name?: string): Promise<TOTPSetup> =>
    request('POST', '/api/v1/me/two-factor/totp/setup', name === undefined ? { reusePending: true } : { name, reusePending: true }),
  enableTOTP: (code: string): Promise<Enabled> => endsOtherSessions(request('POST', '/api/v1/me/two-factor/totp/enable', { code, ...trustAtEnrollment() })),
  startEmailSetup: (): Promise<CodeSent> => request('POST', '/api/v1/me/two-factor/email/setup', {}),
  enableEmail: (code: string): Promise<Enabled> => endsOtherSessions(request('POST', '/api/v1/me/two-factor/email/enable', { code, ...trustAtEnrollment() })),
  disableTwoFactor: (): Promise<{ message: string }> => endsOtherSessions(request('DELETE', '/api/v1/me/two-factor', {})),
  regenerateRecoveryCodes: (): Promise<{ recoveryCodes: string[] }> => request('POST', '/api/v1/me/two-factor/recovery-codes', {}),
  changeEmail: (email: string): Promise<CodeSent> => request('PUT', '/api/v1/me/email', { email }),
  // Ends the other sessions only when the address is the email method's, but a reload is cheap.
  verifyEmailChange: (code: string): Promise<{ message: string; email: string }> =>
    endsOtherSessions(request('POST', '/api/v1/me/email/verify', { code })),
  changePassword: (currentPassword: string, newPassword: string): Promise<{ message: string }> =>
    endsOtherSessions(request('PUT', '/api/v1/me/password', { currentPassword, newPassword })),
  sessions: (): Promise<{ sessions: SessionInfo[] }> => request('GET', '/api/v1/me/sessions'),
  authenticators: (): Promise<{ authenticators: AuthenticatorInfo[] }> => request('GET', '/api/v1/me/authenticators'),
  renameAuthenticator: (id: string, name: string): Promise<{ authenticator: AuthenticatorInfo }> =>
    request('PATCH', `/api/v1/me/authenticators/${encodeURIComponent(id)}`, { name }),
  removeAuthenticator: (id: string): Promise<{ message: string }> =>
    endsOtherSessions(request('DELETE', `/api/v1/me/authenticators/${encodeURIComponent(id)}`, {})),
  revokeSession: (id: string): Promise<unknown> => request('DELETE', `/api/v1/me/sessions/${encodeURIComponent(id)}`, {}),
  adminUsers: (): Promise<{ users: AdminUser[] }> => request('GET', '/api/v1/admin/users'),
  adminCreateUser: (input: { username: string; password: string; displayName?: string; email?: string; role: Role }): Promise<User> =>
    request('POST', '/api/v1/admin/users', input),
  adminEditUser: (username: string, edit: AccountEdit): Promise<User> => request('PATCH', `/api/v1/admin/users/${encodeURIComponent(username)}`, edit),
  adminDeleteUser: (username: string): Promise<unknown> => request('DELETE', `/api/v1/admin/users/${encodeURIComponent(username)}`, {}),
  /** Without a password the server generates one; either way it is returned once. */
  adminResetPassword: (username: string, password?: string): Promise<{ password: string }> =>
    request('POST', `/api/v1/admin/users/${encodeURIComponent(username)}/password`, password === undefined ? {} : { password }),
  adminDisableTwoFactor: (username: string): Promise<{ message: string }> =>
    request('DELETE', `/api/v1/admin/users/${encodeURIComponent(username)}/two-factor`, {}),
  /** Lifts both the password and the second-factor lock of an account. */
  adminPolicy: (): Promise<TwoFactorPolicy> => request('GET', '/api/v1/admin/policy'),
  adminSetPolicy: (policy: TwoFactorPolicy): Promise<TwoFactorPolicy> => request('PUT', '/api/v1/admin/policy', policy),
  adminAdoption: (): Promise<Adoption> => request('GET', '/api/v1/admin/policy/adoption'),
  /** Shown once: the administrator hands it to the user, who signs in with it to set up a new authenticator. */
  adminIssueRecoveryCode: (username: string): Promise<{ code: string; expiresAt: string }> =>
    request('POST', `/api/v1/admin/users/${encodeURIComponent(username)}/two-factor/recovery`, {}),
  adminUnlock: (username: string): Promise<{ message: string }> => request('DELETE', `/api/v1/admin/users/${encodeURIComponent(username)}/lock`, {}),
};

/** The message to show for any failure: the server's own words when it sent some. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return t('Something went wrong. Try again.');
}
