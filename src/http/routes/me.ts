import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { changePassword } from '../../flows/change-password.ts';
import { describeAccount } from '../../flows/describe-account.ts';
import { requestEmailChange, verifyEmailChange } from '../../flows/change-email.ts';
import { sendReauthEmailCode } from '../../flows/send-email-code.ts';
import { confirmPassword } from '../../flows/confirm-password.ts';
import { setAccountLanguage } from '../../flows/account/set-language.ts';
import { localize } from '../../i18n/format.ts';
import { listSessions, revokeSession } from '../../flows/manage-sessions.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { DomainError } from '../../core/errors.ts';
import { requestContext, requireAuth } from '../authentication.ts';
import { AuthenticationResponse } from '../schemas/webauthn.ts';
import { toAuthenticationResponse } from './webauthn.ts';
import { iso, presentTrustedDevice, presentUser } from '../presenters.ts';
import { forgetOwnDevice, forgetOwnTrustedDevices, listTrustedDevices } from '../../flows/login/manage-devices.ts';
import { TrustedDevicesResponse } from '../schemas/devices.ts';
import { AnyCode, EmptyBody, Password, SixDigitCode, strictObject } from '../schemas/common.ts';

// A current code, or in its place an assertion of one of the account's keys (never both).
const ReauthBody = strictObject({ password: Password, code: Type.Optional(AnyCode), webauthn: Type.Optional(AuthenticationResponse) });
const EmailChangeBody = strictObject({ email: Type.String({ minLength: 3, maxLength: 254 }) });
const CodeBody = strictObject({ code: SixDigitCode });
const PasswordChangeBody = strictObject({ currentPassword: Password, newPassword: Password });
// A BCP 47 tag as the catalog folders name them ("de", "zh-CN"); null goes back to following the browser.
const LanguageBody = strictObject({
  language: Type.Union([Type.Null(), Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$' })]),
});

export function meRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.get('/api/v1/me', async (request) => {
      const auth = requireAuth(request);
      const { account, session, recoveryCodesLeft, twoFactorRequiredBy } = await describeAccount(deps, auth.account, auth.session);
      return {
        ...presentUser(account),
        language: account.language,
        recoveryCodesLeft,
        twoFactorRequiredBy: twoFactorRequiredBy === null ? null : iso(twoFactorRequiredBy),
        // Set while the caller holds an enrollment token: only the setup is open to it.
        enrollment: auth.enrollment === undefined ? null : { reason: auth.enrollment.purpose, expiresAt: iso(auth.enrollment.expiresAt) },
        session: {
          id: session.id,
          client: session.client,
          expiresAt: iso(session.expiresAt),
          // How the login was proved (RFC 8176) and when it finished.
          amr: session.amr,
          authenticatedAt: iso(session.authTime),
          reauthenticatedAt: session.reauthenticatedAt === null ? null : iso(session.reauthenticatedAt),
          // What met the second step: a method, "trusted_device", or null (none was asked).
          secondFactor: session.secondFactor,
        },
      };
    });

    api.put('/api/v1/me/language', { schema: { body: LanguageBody, response: { 204: Type.Null() } } }, async (request, reply) => {
      const { account } = requireAuth(request);
      const { language } = request.body;
      const { translator } = request.server;
      // Exactly as a catalog names it: "de-de" or "klingon" would store a choice no mail can follow.
      if (language !== null && !translator.supports(language)) {
        throw new DomainError(
          'validation_error',
          localize('This server offers these languages: {languages}. Choose one of them, or null to follow the browser.', { languages: translator.languages.join(', ') }),
          { field: 'language' },
        );
      }
      await setAccountLanguage(deps, account, language);
      return reply.status(204).send(null);
    });

    api.post('/api/v1/me/reauth', { schema: { body: ReauthBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      const { password, code, webauthn } = request.body;
      if (code !== undefined && webauthn !== undefined) throw new DomainError('validation_error', 'Confirm with a code or with a passkey, not both.');
      const result = await confirmPassword(
        deps,
        { account, session, password, code, webauthn: webauthn === undefined ? undefined : toAuthenticationResponse(webauthn) },
        requestContext(request),
      );
      return { reauthenticatedUntil: iso(result.reauthenticatedUntil), secondFactorVerified: result.secondFactorVerified, amr: result.amr };
    });

    api.post('/api/v1/me/reauth/email-code', { schema: { body: EmptyBody } }, async (request, reply) => {
      const { account, session } = requireAuth(request);
      return reply.status(202).send(await sendReauthEmailCode(deps, session, account, requestContext(request)));
    });

    api.put('/api/v1/me/email', { schema: { body: EmailChangeBody } }, async (request, reply) => {
      const { account, session } = requireAuth(request);
      return reply.status(202).send(await requestEmailChange(deps, { account, session, email: request.body.email }, requestContext(request)));
    });

    api.post('/api/v1/me/email/verify', { schema: { body: CodeBody }, config: { invalidCodeStatus: 400 } }, async (request) => {
      const { account, session } = requireAuth(request);
      return verifyEmailChange(deps, { account, session, code: request.body.code }, requestContext(request));
    });

    api.put('/api/v1/me/password', { schema: { body: PasswordChangeBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      return changePassword(deps, { account, session, ...request.body }, requestContext(request));
    });

    api.get('/api/v1/me/trusted-devices', { schema: { response: { 200: TrustedDevicesResponse } } }, async (request) => {
      const { account, session } = requireAuth(request);
      return { devices: (await listTrustedDevices(deps, account.id, session.deviceId)).map(presentTrustedDevice) };
    });

    // Removing trust only takes access away: no Password window.
    api.delete('/api/v1/me/trusted-devices', { schema: { body: EmptyBody, response: { 204: Type.Null() } } }, async (request, reply) => {
      const { account, session } = requireAuth(request);
      await forgetOwnTrustedDevices(deps, { account, session }, requestContext(request));
      return reply.status(204).send(null);
    });

    api.delete(
      '/api/v1/me/trusted-devices/:id',
      { schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), body: EmptyBody, response: { 204: Type.Null() } } },
      async (request, reply) => {
        const { account, session } = requireAuth(request);
        await forgetOwnDevice(deps, { account, session, id: request.params.id }, requestContext(request));
        return reply.status(204).send(null);
      },
    );

    api.get('/api/v1/me/sessions', async (request) => {
      const { account, session } = requireAuth(request);
      const sessions = await listSessions(deps, account, session);
      return {
        sessions: sessions.map((s) => ({
          ...s,
          createdAt: iso(s.createdAt),
          lastSeenAt: iso(s.lastSeenAt),
          expiresAt: iso(s.expiresAt),
        })),
      };
    });

    api.delete(
      '/api/v1/me/sessions/:id',
      { schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }) } },
      async (request, reply) => {
        const { account } = requireAuth(request);
        await revokeSession(deps, account, request.params.id, requestContext(request));
        return reply.status(204).send();
      },
    );
  };
}
