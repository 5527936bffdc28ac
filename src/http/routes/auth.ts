import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readProof } from '../../flows/factors/registry.ts';
import { toAuthenticationResponse } from './webauthn.ts';
import { AuthenticationResponse } from '../schemas/webauthn.ts';
import { logOut } from '../../flows/manage-sessions.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { signIn, type SignInResult } from '../../flows/sign-in.ts';
import { endEnrollment, type StartedEnrollment } from '../../flows/login/enrollment.ts';
import { completeRequiredPasswordChange } from '../../flows/account/required-password-change.ts';
import { confirmPasswordReset, requestPasswordReset } from '../../flows/account/password-reset.ts';
import type { ClientKind as Client } from '../../core/types.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendLoginEmailCode } from '../../flows/send-email-code.ts';
import { verifySecondFactor } from '../../flows/verify-second-factor.ts';
import { loginNotice } from '../../flows/login-notices.ts';
import { clearSessionCookie, deliverToken, presentedDeviceToken, requestContext, requireAuth } from '../authentication.ts';
import { iso, presentUser } from '../presenters.ts';
import { AdminRecoveryCode, AnyCode, ChallengeMethod, ClientKind, DeviceToken, EmptyBody, Password, Username, strictObject } from '../schemas/common.ts';

const LoginBody = strictObject({
  username: Username,
  password: Password,
  client: ClientKind,
  deviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  // Loosely shaped on purpose: a stale or mangled device token is ignored, never refused.
  deviceToken: Type.Optional(DeviceToken),
});

const ChallengeId = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const EmailCodeBody = strictObject({ challengeId: ChallengeId });
// One shape for every method: `code` for codes, `response` (an assertion) for "webauthn"; which
// one a method needs is checked in the route, so the error can say so plainly.
const SecondFactorBody = strictObject({
  challengeId: ChallengeId,
  // "admin_recovery": a code from an administrator; accepted here but never listed in `methods`.
  method: Type.Union([ChallengeMethod, Type.Literal('admin_recovery')]),
  code: Type.Optional(Type.Union([AnyCode, AdminRecoveryCode])),
  response: Type.Optional(AuthenticationResponse),
  trustDevice: Type.Optional(Type.Boolean()),
});

const BearerLike = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const PasswordChangeBody = strictObject({ passwordChangeToken: BearerLike, newPassword: Password });
const PasswordResetBody = strictObject({ username: Username });
const PasswordResetConfirmBody = strictObject({ token: BearerLike, newPassword: Password });

/** The answer of a proven password, the same from the login and from the forced password change. */
function presentPasswordStep(request: FastifyRequest, reply: FastifyReply, result: SignInResult, client: Client, trustedDeviceDays: number) {
  if (result.status === 'second_factor_required') {
    // How long "Trust this device" would last, so clients can word the option (absent: turned off).
    const trust = trustedDeviceDays > 0 ? { trustedDeviceDays } : {};
    return { status: result.status, challengeId: result.challengeId, methods: result.methods, expiresAt: iso(result.expiresAt), ...trust };
  }
  if (result.status === 'password_change_required') {
    return { status: result.status, passwordChangeToken: result.passwordChangeToken, expiresAt: iso(result.expiresAt) };
  }
  if (result.status === 'two_factor_enrollment_required') return presentEnrollment(result, trustedDeviceDays);
  return {
    status: 'ok',
    ...deliverToken(request, reply, client, result, trustedDeviceDays),
    user: presentUser(result.account),
    ...(result.twoFactorRequiredBy === undefined ? {} : { twoFactorRequiredBy: iso(result.twoFactorRequiredBy) }),
  };
}

/**
 * No session: the token opens only the setup (src/http/enrollment-scope.ts). It is in the body
 * for every client, the web one too, whose script keeps it in memory for the few setup calls.
 */
function presentEnrollment(result: StartedEnrollment, trustedDeviceDays: number) {
  // The setup ends the login, so it may trust this device as the code step would (`trustDevice` on its enable).
  return { status: result.status, enrollmentToken: result.enrollmentToken, expiresAt: iso(result.expiresAt), ...(trustedDeviceDays > 0 ? { trustedDeviceDays } : {}) };
}

export function authRoutes(deps: FlowDeps) {
  const noticeFor = async (userId: string, startedAt: number): Promise<{ notice?: string }> => {
    const notice = await loginNotice(deps, userId, startedAt);
    return notice === null ? {} : { notice };
  };
  const days = deps.settings.trustedDeviceDays;
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    // Signing in is what a caller without a session does: these routes skip the session requirement.
    const open = { public: true } as const;

    api.post('/api/v1/auth/login', { schema: { body: LoginBody }, config: open }, async (request, reply) => {
      const context = requestContext(request);
      const startedAt = deps.clock();
      const result = await signIn(deps, {
        username: request.body.username,
        password: request.body.password,
        client: request.body.client,
        deviceName: request.body.deviceName ?? null,
        ip: context.ip,
        userAgent: context.userAgent,
        deviceToken: presentedDeviceToken(request, request.body.client, request.body.deviceToken),
      });
      if (result.status === 'ok') {
        return { ...presentPasswordStep(request, reply, result, request.body.client, days), ...(await noticeFor(result.account.id, startedAt)) };
      }
      return presentPasswordStep(request, reply, result, request.body.client, days);
    });

    api.post('/api/v1/auth/password-change', { schema: { body: PasswordChangeBody }, config: open }, async (request, reply) => {
      const { result, client } = await completeRequiredPasswordChange(deps, request.body, requestContext(request));
      return presentPasswordStep(request, reply, result, client, days);
    });

    api.post('/api/v1/auth/password-reset', { schema: { body: PasswordResetBody }, config: open }, async (request, reply) => {
      return reply.status(202).send(await requestPasswordReset(deps, request.body, requestContext(request)));
    });

    api.post('/api/v1/auth/password-reset/confirm', { schema: { body: PasswordResetConfirmBody }, config: open }, async (request) => {
      return confirmPasswordReset(deps, request.body, requestContext(request));
    });

    api.post('/api/v1/auth/login/second-factor', { schema: { body: SecondFactorBody }, config: open }, async (request, reply) => {
      const { challengeId, method, code, response, trustDevice } = request.body;
      const startedAt = deps.clock();
      // The proof its method expects, read by that method's factor (a code's shape, or an
      // assertion's presence), checked before any attempt is spent.
      const proof = readProof(method, { code, response: response === undefined ? undefined : toAuthenticationResponse(response) });
      const result = await verifySecondFactor(deps, { challengeId, proof, trustDevice: trustDevice === true });
      if (result.status === 'two_factor_enrollment_required') return presentEnrollment(result, days);
      return {
        status: 'ok',
        ...deliverToken(request, reply, result.clientKind, result, days),
        user: presentUser(result.account),
        ...(result.recoveryCodesLeft === null ? {} : { recoveryCodesLeft: result.recoveryCodesLeft }),
        ...(await noticeFor(result.account.id, startedAt)),
      };
    });

    api.post('/api/v1/auth/login/email-code', { schema: { body: EmailCodeBody }, config: open }, async (request, reply) => {
      return reply.status(202).send(await sendLoginEmailCode(deps, request.body.challengeId, requestContext(request)));
    });

    api.post('/api/v1/auth/logout', { schema: { body: EmptyBody } }, async (request, reply) => {
      const auth = requireAuth(request);
      if (auth.enrollment !== undefined) {
        await endEnrollment(deps, { ...auth, enrollment: auth.enrollment }, requestContext(request));
        return { message: 'Logged out.' };
      }
      await logOut(deps, auth.account, auth.session, requestContext(request));
      clearSessionCookie(request, reply);
      return { message: 'Logged out.' };
    });
  };
}
