import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readProof } from '../../flows/factors/registry.ts';
import { logOut } from '../../flows/manage-sessions.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { signIn } from '../../flows/sign-in.ts';
import { sendLoginEmailCode } from '../../flows/send-email-code.ts';
import { verifySecondFactor } from '../../flows/verify-second-factor.ts';
import { clearSessionCookie, requestContext, requireAuth, setSessionCookie } from '../authentication.ts';
import { iso, presentUser } from '../presenters.ts';
import type { ClientKind as ClientKindValue } from '../../core/types.ts';
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

/**
 * The web client gets its session only as the HttpOnly cookie: a token in the JSON body would be
 * readable by any script running in the page, which is what HttpOnly is there to prevent.
 * Desktop and mobile clients keep no cookie jar and get the token in the body.
 */
function deliverToken(
  request: FastifyRequest,
  reply: FastifyReply,
  client: ClientKindValue,
  session: { token: string; expiresAt: number },
): { token?: string; expiresAt: string } {
  if (client === 'web') {
    setSessionCookie(request, reply, session.token, session.expiresAt);
    return { expiresAt: iso(session.expiresAt) };
  }
  return { token: session.token, expiresAt: iso(session.expiresAt) };
}

export function authRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    // Signing in is what a caller without a session does: these routes skip the session requirement.
    const open = { public: true } as const;

    api.post('/api/v1/auth/login', { schema: { body: LoginBody }, config: open }, async (request, reply) => {
      const context = requestContext(request);
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
      return { status: 'ok', ...deliverToken(request, reply, request.body.client, result), user: presentUser(result.account) };
    });

    api.post('/api/v1/auth/login/second-factor', { schema: { body: SecondFactorBody }, config: open }, async (request, reply) => {
      const { challengeId, method, code } = request.body;
      // The proof its method expects (core/codes.ts decides the shape), checked before any attempt is spent.
      const result = await verifySecondFactor(deps, { challengeId, proof: readProof(method, { code }) });
      return {
        status: 'ok',
        ...deliverToken(request, reply, result.clientKind, result),
        user: presentUser(result.account),
        ...(result.recoveryCodesLeft === null ? {} : { recoveryCodesLeft: result.recoveryCodesLeft }),
      };
    });

    api.post('/api/v1/auth/login/email-code', { schema: { body: EmailCodeBody }, config: open }, async (request, reply) => {
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
