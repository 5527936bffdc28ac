import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { startPasskeyLogin, startWebAuthnLogin, startWebAuthnReauth, startWebAuthnRegistration } from '../../flows/factors/webauthn/options.ts';
import { signInWithPasskey } from '../../flows/factors/webauthn/passwordless.ts';
import { finishWebAuthnRegistration } from '../../flows/factors/webauthn/register.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { deliverToken, presentedDeviceToken, requestContext, requireAuth } from '../authentication.ts';
import { presentUser } from '../presenters.ts';
import { presentEnabled } from './two-factor.ts';
import { AuthenticatorName, ClientKind, DeviceToken, EmptyBody, strictObject } from '../schemas/common.ts';
import { AuthenticationResponse, RegistrationResponse } from '../schemas/webauthn.ts';

const ChallengeId = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const RegistrationBody = strictObject({ name: Type.Optional(AuthenticatorName), response: RegistrationResponse, trustDevice: Type.Optional(Type.Boolean()) });
const LoginOptionsBody = strictObject({ challengeId: ChallengeId });
const PasskeyBody = strictObject({
  passkeyChallengeId: ChallengeId,
  response: AuthenticationResponse,
  client: ClientKind,
  deviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  deviceToken: Type.Optional(DeviceToken),
  trustDevice: Type.Optional(Type.Boolean()),
});

// JSON has null where the browser library leaves a member out; the verifier expects the latter.
export function toAuthenticationResponse(body: Static<typeof AuthenticationResponse>): AuthenticationResponseJSON {
  const { authenticatorAttachment, response, ...rest } = body;
  const { userHandle, ...assertion } = response;
  return {
    ...rest,
    response: { ...assertion, ...(userHandle == null ? {} : { userHandle }) },
    ...(authenticatorAttachment == null ? {} : { authenticatorAttachment }),
  } as AuthenticationResponseJSON;
}

function toRegistrationResponse(body: Static<typeof RegistrationResponse>): RegistrationResponseJSON {
  const { authenticatorAttachment, ...rest } = body;
  return { ...rest, ...(authenticatorAttachment == null ? {} : { authenticatorAttachment }) } as RegistrationResponseJSON;
}

/** Passkeys and security keys: the options endpoints answer the WebAuthn options object itself, not wrapped. */
export function webauthnRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.post('/api/v1/me/two-factor/webauthn/registration/options', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      return startWebAuthnRegistration(deps, session, account);
    });

    // A failed registration is a form error (400), as a wrong code at enrollment is.
    api.post('/api/v1/me/two-factor/webauthn/registration', { schema: { body: RegistrationBody }, config: { invalidCodeStatus: 400 } }, async (request, reply) => {
      const { account, session, enrollment } = requireAuth(request);
      const result = await finishWebAuthnRegistration(
        deps,
        { account, session, name: request.body.name, response: toRegistrationResponse(request.body.response), enrollment, trustDevice: request.body.trustDevice === true },
        requestContext(request),
      );
      return presentEnabled(deps, request, reply, account, result);
    });

    api.post('/api/v1/auth/login/webauthn/options', { schema: { body: LoginOptionsBody }, config: { public: true } }, async (request) => {
      return startWebAuthnLogin(deps, request.body.challengeId);
    });

    api.post('/api/v1/me/reauth/webauthn/options', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      return startWebAuthnReauth(deps, session, account);
    });

    api.post('/api/v1/auth/login/passkey/options', { schema: { body: EmptyBody }, config: { public: true } }, async () => startPasskeyLogin(deps));

    api.post('/api/v1/auth/login/passkey', { schema: { body: PasskeyBody }, config: { public: true } }, async (request, reply) => {
      const context = requestContext(request);
      const result = await signInWithPasskey(deps, {
        passkeyChallengeId: request.body.passkeyChallengeId,
        response: toAuthenticationResponse(request.body.response),
        client: request.body.client,
        deviceName: request.body.deviceName ?? null,
        ip: context.ip,
        userAgent: context.userAgent,
        deviceToken: presentedDeviceToken(request, request.body.client, request.body.deviceToken),
        trustDevice: request.body.trustDevice === true,
      });
      return {
        status: 'ok',
        ...deliverToken(request, reply, request.body.client, result, deps.settings.trustedDeviceDays),
        user: presentUser(result.account),
      };
    });
  };
}
