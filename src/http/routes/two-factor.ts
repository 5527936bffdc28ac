import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { disableTwoFactor } from '../../flows/disable-two-factor.ts';
import { enableTOTP } from '../../flows/enable-totp.ts';
import { regenerateRecoveryCodes } from '../../flows/regenerate-recovery-codes.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { startTOTPSetup } from '../../flows/start-totp-setup.ts';
import { enableEmail } from '../../flows/enable-email.ts';
import { startEmailSetup } from '../../flows/start-email-setup.ts';
import { requestContext, requireAuth } from '../authentication.ts';
import { EmptyBody, SixDigitCode, strictObject } from '../schemas/common.ts';

const EnableBody = strictObject({ code: SixDigitCode });
const enrollment = { invalidCodeStatus: 400 as const };

export function twoFactorRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.post('/api/v1/me/two-factor/totp/setup', { schema: { body: EmptyBody }, config: enrollment }, async (request) => {
      const { account, session } = requireAuth(request);
      const setup = await startTOTPSetup(deps, session, account, requestContext(request));
      // Rendered here, never by a third party: the secret must not leave this server.
      const qrCode = await QRCode.toDataURL(setup.otpauthUri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
      return { ...setup, qrCode };
    });

    api.post('/api/v1/me/two-factor/totp/enable', { schema: { body: EnableBody }, config: enrollment }, async (request) => {
      const { account, session } = requireAuth(request);
      const result = await enableTOTP(deps, { account, session, code: request.body.code }, requestContext(request));
      return { message: result.message, twoFactor: { enabled: true, method: 'totp' }, recoveryCodes: result.recoveryCodes };
    });

    api.post('/api/v1/me/two-factor/email/setup', { schema: { body: EmptyBody }, config: enrollment }, async (request, reply) => {
      const { account, session } = requireAuth(request);
      return reply.status(202).send(await startEmailSetup(deps, session, account, requestContext(request)));
    });

    api.post('/api/v1/me/two-factor/email/enable', { schema: { body: EnableBody }, config: enrollment }, async (request) => {
      const { account, session } = requireAuth(request);
      const result = await enableEmail(deps, { account, session, code: request.body.code }, requestContext(request));
      return { message: result.message, twoFactor: { enabled: true, method: 'email' }, recoveryCodes: result.recoveryCodes };
    });

    api.delete('/api/v1/me/two-factor', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      const result = await disableTwoFactor(deps, { account, session }, requestContext(request));
      return { ...result, twoFactor: { enabled: false, method: null } };
    });

    api.post('/api/v1/me/two-factor/recovery-codes', { schema: { body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      return regenerateRecoveryCodes(deps, { account, session }, requestContext(request));
    });
  };
}
