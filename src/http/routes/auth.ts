import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readProof } from '../../flows/factors/registry.ts';
import { logOut } from '../../flows/manage-sessions.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { signIn } from '../../flows/sign-in.ts';
import { sendLoginEmailCode } from '../../flows/send-email-code.ts';
import { verifySecondFactor } from '../../flows/verify-second-factor.ts';
import { loginNotice } from '../../flows/login-notices.ts';
import { clearSessionCookie, requestContext, requireAuth, setSessionCookie } from '../authentication.ts';
import { iso, presentUser } from '../presenters.ts';
import { AnyCode, ChallengeMethod, ClientKind, EmptyBody, Password, Username, strictObject } from '../schemas/common.ts';

const LoginBody = strictObject({
  username: Username,
  password: Password,
  client: ClientKind,
  deviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

const ChallengeId = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const EmailCodeBody = strictObject({ challengeId: ChallengeId });
const SecondFactorBody = strictObject({
  challengeId: ChallengeId,
  method: ChallengeMethod,
  code: AnyCode,
});

export function authRoutes(deps: FlowDeps) {
  const noticeFor = async (userId: string, startedAt: number): Promise<{ notice?: string }> => {
    const notice = await loginNotice(deps, userId, startedAt);
    return notice === null ? {} : { notice };
  };
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.post('/api/v1/auth/login', { schema: { body: LoginBody } }, async (request, reply) => {
      const context = requestContext(request);
      const startedAt = deps.clock();
      const result = await signIn(deps, {
        username: request.body.username,
        password: request.body.password,
        client: request.body.client,
        deviceName: request.body.deviceName ?? null,
        ip: context.ip,
        userAgent: context.userAgent,
      });
      if (result.status === 'second_factor_required') {
        return {
          status: result.status,
          challengeId: result.challengeId,
          methods: result.methods,
          expiresAt: iso(result.expiresAt),
        };
      }
      if (request.body.client === 'web') setSessionCookie(request, reply, result.token, result.expiresAt);
      return { status: 'ok', token: result.token, expiresAt: iso(result.expiresAt), user: presentUser(result.account), ...(await noticeFor(result.account.id, startedAt)) };
    });

    api.post('/api/v1/auth/login/second-factor', { schema: { body: SecondFactorBody } }, async (request, reply) => {
      const { challengeId, method, code } = request.body;
      const startedAt = deps.clock();
      // The proof its method expects (core/codes.ts decides the shape), checked before any attempt is spent.
      const result = await verifySecondFactor(deps, { challengeId, proof: readProof(method, { code }) });
      const challengeClient = result.clientKind;
      if (challengeClient === 'web') setSessionCookie(request, reply, result.token, result.expiresAt);
      return {
        status: 'ok',
        token: result.token,
        expiresAt: iso(result.expiresAt),
        user: presentUser(result.account),
        ...(result.recoveryCodesLeft === null ? {} : { recoveryCodesLeft: result.recoveryCodesLeft }),
        ...(await noticeFor(result.account.id, startedAt)),
      };
    });

    api.post('/api/v1/auth/login/email-code', { schema: { body: EmailCodeBody } }, async (request, reply) => {
      return reply.status(202).send(await sendLoginEmailCode(deps, request.body.challengeId));
    });

    api.post('/api/v1/auth/logout', { schema: { body: EmptyBody } }, async (request, reply) => {
      const auth = requireAuth(request);
      await logOut(deps, auth.account, auth.session, requestContext(request));
      clearSessionCookie(request, reply);
      return { message: 'Logged out.' };
    });
  };
}
