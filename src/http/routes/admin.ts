import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { adminResetTwoFactor } from '../../flows/admin-reset-two-factor.ts';
import { createAccount } from '../../flows/create-account.ts';
import { listAccounts } from '../../flows/list-accounts.ts';
import { listAuditEvents } from '../../flows/list-audit-events.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { unlockAccount } from '../../flows/unlock-account.ts';
import { listAuthenticatorsOf } from '../../flows/manage-authenticators.ts';
import { editAccount } from '../../flows/admin/edit-account.ts';
import { deleteAccount } from '../../flows/admin/delete-account.ts';
import { adminResetPassword } from '../../flows/admin/reset-password.ts';
import { DomainError } from '../../core/errors.ts';
import { describeAdoption, readPolicy, setPolicy } from '../../flows/admin/two-factor-policy.ts';
import { issueAdminRecoveryCode } from '../../flows/admin/issue-recovery-code.ts';
import { MAX_GRACE_DAYS } from '../../core/two-factor-policy.ts';
import { requireAdmin } from '../authentication.ts';
import { iso, presentAuthenticator, presentTrustedDevice, presentUser } from '../presenters.ts';
import { forgetDevicesOf, listTrustedDevicesOf } from '../../flows/login/manage-devices.ts';
import { TrustedDevicesResponse } from '../schemas/devices.ts';
import { EmptyBody, Password, Username, strictObject } from '../schemas/common.ts';

const CreateUserBody = strictObject({
  username: Username,
  password: Password,
  displayName: Type.Optional(Type.String({ maxLength: 128 })),
  email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
});

const UsernameParams = Type.Object({ username: Username });

const EditUserBody = strictObject({
  displayName: Type.Optional(Type.String({ maxLength: 128 })),
  email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
  disabled: Type.Optional(Type.Boolean()),
});

const Requirement = Type.Union([Type.Literal('off'), Type.Literal('admins'), Type.Literal('all')]);
const PolicyBody = strictObject({ twoFactorRequired: Requirement, gracePeriodDays: Type.Integer({ minimum: 0, maximum: MAX_GRACE_DAYS }) });
const PolicyResponse = Type.Object({ twoFactorRequired: Requirement, gracePeriodDays: Type.Integer() });
const Kind = Type.Union([Type.Literal('totp'), Type.Literal('email'), Type.Literal('webauthn')]);
const AdoptionResponse = Type.Object({
  policy: PolicyResponse,
  total: Type.Integer(),
  withTwoFactor: Type.Integer(),
  byKind: Type.Object({ totp: Type.Integer(), email: Type.Integer(), webauthn: Type.Integer() }),
  inGrace: Type.Integer(),
  overdue: Type.Integer(),
  users: Type.Array(
    Type.Object({
      username: Type.String(),
      displayName: Type.String(),
      role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
      disabled: Type.Boolean(),
      kinds: Type.Array(Kind),
      state: Type.Union([Type.Literal('enabled'), Type.Literal('not_required'), Type.Literal('grace'), Type.Literal('overdue')]),
      policySince: Type.Union([Type.String(), Type.Null()]),
      requiredBy: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
const RecoveryCodeResponse = Type.Object({ code: Type.String(), expiresAt: Type.String() });

const ResetPasswordBody = strictObject({ password: Type.Optional(Password) });

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    before: Type.Optional(Type.String({ maxLength: 200 })),
    username: Type.Optional(Username),
  },
  { additionalProperties: false },
);

function parseCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const match = /^([0-9]{1,15})_([0-9a-f-]{36})$/.exec(cursor);
  if (!match) throw new DomainError('validation_error', 'The cursor is not one from a previous page.', { field: 'before' });
  return { at: Number(match[1]), id: match[2]! };
}

export function adminRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const actorOf = (request: { auth: ReturnType<typeof requireAdmin>; ip: string }) => ({
      name: request.auth.account.username,
      ip: request.ip,
      session: request.auth.session,
      account: request.auth.account,
    });

    api.get('/api/v1/admin/users', async (request) => {
      requireAdmin(request);
      const users = await listAccounts(deps);
      return {
        users: users.map((u) => ({
          ...u,
          createdAt: iso(u.createdAt),
          secondFactorLockedUntil: u.secondFactorLockedUntil === null ? null : iso(u.secondFactorLockedUntil),
          passwordLockedUntil: u.passwordLockedUntil === null ? null : iso(u.passwordLockedUntil),
          deviceLockedUntil: u.deviceLockedUntil === null ? null : iso(u.deviceLockedUntil),
        })),
      };
    });

    api.post('/api/v1/admin/users', { schema: { body: CreateUserBody } }, async (request, reply) => {
      const auth = requireAdmin(request);
      const account = await createAccount(deps, request.body, actorOf({ auth, ip: request.ip }));
      return reply.status(201).send(presentUser(account));
    });

    api.patch('/api/v1/admin/users/:username', { schema: { params: UsernameParams, body: EditUserBody } }, async (request) => {
      const auth = requireAdmin(request);
      return presentUser(await editAccount(deps, request.params.username, request.body, actorOf({ auth, ip: request.ip })));
    });

    api.delete('/api/v1/admin/users/:username', { schema: { params: UsernameParams, body: EmptyBody } }, async (request, reply) => {
      const auth = requireAdmin(request);
      await deleteAccount(deps, request.params.username, actorOf({ auth, ip: request.ip }));
      return reply.status(204).send();
    });

    api.post('/api/v1/admin/users/:username/password', { schema: { params: UsernameParams, body: ResetPasswordBody } }, async (request) => {
      const auth = requireAdmin(request);
      const result = await adminResetPassword(deps, request.params.username, request.body, actorOf({ auth, ip: request.ip }));
      return { password: result.password };
    });

    api.delete('/api/v1/admin/users/:username/two-factor', { schema: { params: UsernameParams, body: EmptyBody } }, async (request) => {
      const auth = requireAdmin(request);
      const result = await adminResetTwoFactor(deps, request.params.username, actorOf({ auth, ip: request.ip }));
      return { message: 'Edited successfully.', user: presentUser(result.account), sessionsEnded: result.sessionsEnded };
    });

    api.get('/api/v1/admin/users/:username/authenticators', { schema: { params: UsernameParams } }, async (request) => {
      requireAdmin(request);
      return { authenticators: (await listAuthenticatorsOf(deps, request.params.username)).map(presentAuthenticator) };
    });

    api.delete('/api/v1/admin/users/:username/lock', { schema: { params: UsernameParams, body: EmptyBody } }, async (request) => {
      const auth = requireAdmin(request);
      await unlockAccount(deps, request.params.username, actorOf({ auth, ip: request.ip }));
      return { message: 'Edited successfully.' };
    });

    api.get('/api/v1/admin/users/:username/trusted-devices', { schema: { params: UsernameParams, response: { 200: TrustedDevicesResponse } } }, async (request) => {
      requireAdmin(request);
      return { devices: (await listTrustedDevicesOf(deps, request.params.username)).map(presentTrustedDevice) };
    });

    // Forgets every device of the account (trusted and known): only takes access away.
    api.delete(
      '/api/v1/admin/users/:username/trusted-devices',
      { schema: { params: UsernameParams, body: EmptyBody, response: { 204: Type.Null() } } },
      async (request, reply) => {
        const auth = requireAdmin(request);
        await forgetDevicesOf(deps, request.params.username, actorOf({ auth, ip: request.ip }));
        return reply.status(204).send(null);
      },
    );

    api.get('/api/v1/admin/policy', { schema: { response: { 200: PolicyResponse } } }, async (request) => {
      requireAdmin(request);
      return readPolicy(deps);
    });

    api.put('/api/v1/admin/policy', { schema: { body: PolicyBody, response: { 200: PolicyResponse } } }, async (request) => {
      const auth = requireAdmin(request);
      return setPolicy(deps, request.body, actorOf({ auth, ip: request.ip }));
    });

    api.get('/api/v1/admin/policy/adoption', { schema: { response: { 200: AdoptionResponse } } }, async (request) => {
      requireAdmin(request);
      const adoption = await describeAdoption(deps);
      return {
        ...adoption,
        users: adoption.users.map(({ since, deadline, ...u }) => ({
          ...u,
          policySince: since === null ? null : iso(since),
          requiredBy: deadline === null ? null : iso(deadline),
        })),
      };
    });

    api.post(
      '/api/v1/admin/users/:username/two-factor/recovery',
      { schema: { params: UsernameParams, body: EmptyBody, response: { 201: RecoveryCodeResponse } } },
      async (request, reply) => {
        const auth = requireAdmin(request);
        const issued = await issueAdminRecoveryCode(deps, request.params.username, actorOf({ auth, ip: request.ip }));
        return reply.status(201).send({ code: issued.code, expiresAt: iso(issued.expiresAt) });
      },
    );

    api.get('/api/v1/admin/audit-events', { schema: { querystring: AuditQuery } }, async (request) => {
      requireAdmin(request);
      const limit = Math.min(Math.max(Number(request.query.limit ?? '50'), 1), 200);
      const page = await listAuditEvents(deps, { limit, before: parseCursor(request.query.before), username: request.query.username });
      return {
        events: page.events.map((e) => ({ ...e, at: iso(e.at) })),
        nextCursor: page.nextCursor === null ? null : `${page.nextCursor.at}_${page.nextCursor.id}`,
      };
    });
  };
}
