import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { listAuthenticators, removeAuthenticator, renameAuthenticator } from '../../flows/manage-authenticators.ts';
import type { FlowDeps } from '../../flows/shared/deps.ts';
import { requestContext, requireAuth } from '../authentication.ts';
import { presentAuthenticator } from '../presenters.ts';
import { AuthenticatorName, EmptyBody, strictObject } from '../schemas/common.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const RenameBody = strictObject({ name: AuthenticatorName });

export function authenticatorRoutes(deps: FlowDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.get('/api/v1/me/authenticators', async (request) => {
      const { account } = requireAuth(request);
      return { authenticators: (await listAuthenticators(deps, account)).map(presentAuthenticator) };
    });

    api.patch('/api/v1/me/authenticators/:id', { schema: { params: IdParams, body: RenameBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      const renamed = await renameAuthenticator(deps, { account, session, id: request.params.id, name: request.body.name }, requestContext(request));
      return { authenticator: presentAuthenticator(renamed) };
    });

    api.delete('/api/v1/me/authenticators/:id', { schema: { params: IdParams, body: EmptyBody } }, async (request) => {
      const { account, session } = requireAuth(request);
      const result = await removeAuthenticator(deps, { account, session, id: request.params.id }, requestContext(request));
      return { message: result.message };
    });
  };
}
