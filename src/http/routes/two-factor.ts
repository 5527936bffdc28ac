import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import QRCode from 'qrcode';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { disableTwoFactor } from '../../flows/disable-two-factor.ts';
import { enableTOTP, type EnableResult } from '../../flows/factors/totp/enable.ts';
import { regenerateRecoveryCodes } from '../../flows/regenerate-recovery-codes.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { startTOTPSetup } from '../../flows/factors/totp/start-setup.ts';
import { enableEmail } from '../../flows/factors/email/enable.ts';
import { startEmailSetup } from '../../flows/factors/email/start-setup.ts';
import type { Account } from '../../core/types.ts';
import { deliverToken, requestContext, requireAuth } from '../authentication.ts';
import { presentAuthenticator } from '../presenters.ts';
import { AuthenticatorName, EmptyBody, SixDigitCode, strictObject } from '../schemas/common.ts';

// `trustDevice` counts only at the end of an enrollment (an enrollment token), where the setup is
// the login's last step; a signed-in user's device was judged at their login.
const EnableBody = strictObject({ code: SixDigitCode, trustDevice: Type.Optional(Type.Boolean()) });
const TOTPSetupBody = strictObject({ name: Type.Optional(AuthenticatorName), reusePending: Type.Optional(Type.Boolean()) });

/**
 * `twoFactor` as it is after the change; `recoveryCodes` only when this turned two-factor on
 * (adding a further authenticator keeps the codes the user already has).
 */
export async function presentEnabled(deps: FlowDeps, request: FastifyRequest, reply: FastifyReply, account: Account, result: EnableResult) {
  const after = (await deps.store.findAccountById(account.id)) ?? account;
  return {
    // The end of an enrollment (an enrollment token): the login's session, as the login would deliver it.
    ...(result.signedIn === null ? {} : deliverToken(request, reply, result.signedIn.client, result.signedIn, deps.settings.trustedDeviceDays)),
    message: result.message,
    twoFactor: { enabled: true, method: after.twoFactorMethod, authenticators: after.authenticatorCount },
    authenticator: presentAuthenticator({ ...result.authenticator, clockOffsetSeconds: result.authenticator.type === 'totp' ? result.authenticator.clockOffsetSeconds : null }),
    ...(result.recoveryCodes === null ? {} : { recoveryCodes: result.recoveryCodes }),
  };
}
const enrollment = { invalidCodeStatus: 400 as const };

export function twoFactorRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.post('/api/v1/me/two-factor/totp/setup', { schema: { body: TOTPSetupBody }, config: enrollment }, async (request) => {
      const { account, session } = requireAuth(request);
      const options = { name: request.body.name, reusePending: request.body.reusePending === true };
      const setup = await startTOTPSetup(deps, session, account, requestContext(request), options);
      // Rendered here, never by a third party: the secret must not leave this server.
      const qrCode = await QRCode.toDataURL(setup.otpauthUri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
      return { ...setup, qrCode };
    });

    api.post('/api/v1/me/two-factor/totp/enable', { schema: { body: EnableBody }, config: enrollment }, async (request, reply) => {
      const { account, session, enrollment: grant } = requireAuth(request);
      const result = await enableTOTP(deps, { account, session, code: request.body.code, enrollment: grant, trustDevice: request.body.trustDevice === true }, requestContext(request));
      return presentEnabled(deps, request, reply, account, result);
    });

    api.post('/api/v1/me/two-factor/email/setup', { schema: { body: EmptyBody }, config: enrollment }, async (request, reply) => {
      const { account, session } = requireAuth(request);
      return reply.status(202).send(await startEmailSetup(deps, session, account, requestContext(request)));
    });

    api.post('/api/v1/me/two-factor/email/enable', { schema: { body: EnableBody }, config: enrollment }, async (request, reply) => {
      const { account, session, enrollment: grant } = requireAuth(request);
      const result = await enableEmail(deps, { account, session, code: request.body.code, enrollment: grant, trustDevice: request.body.trustDevice === true }, requestContext(request));
      return presentEnabled(deps, request, reply, account, result);
    });

    api.delete('/api/v1/me/two-factor', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      const result = await disableTwoFactor(deps, { account, session }, requestContext(request));
      return { ...result, twoFactor: { enabled: false, method: null, authenticators: 0 } };
    });

    api.post('/api/v1/me/two-factor/recovery-codes', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      return regenerateRecoveryCodes(deps, { account, session }, requestContext(request));
    });
  };
}
