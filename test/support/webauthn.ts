import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { body, post } from './harness.ts';
import type { RegisterOverrides, SoftwareAuthenticator } from './software-authenticator.ts';

// Passkey steps over real HTTP for the suites, each one request (or the few a client makes).

/** The public URL the WebAuthn suites configure: its host is the RP ID, itself the expected origin. */
export const PUBLIC_URL = 'https://uc.twofold.test';
export const WEBAUTHN_ENV = { TWOFOLD_PUBLIC_URL: PUBLIC_URL };

export interface RegisteredKey {
  id: string;
  response: LightMyRequestResponse;
  recoveryCodes?: string[];
}

/** Password window (with `secondFactor` when two-factor is on), options, the authenticator's answer, registration. */
export async function registerKey(
  app: FastifyInstance,
  token: string,
  authenticator: SoftwareAuthenticator,
  options: { password: string; name?: string; secondFactor?: { code: string } | { key: SoftwareAuthenticator }; overrides?: RegisterOverrides },
): Promise<RegisteredKey> {
  await reauth(app, token, options.password, options.secondFactor);
  const creation = await post(app, '/api/v1/me/two-factor/webauthn/registration/options', {}, token);
  if (creation.statusCode !== 200) throw new Error(`registration options failed: ${creation.statusCode} ${creation.body}`);
  const response = authenticator.register(body<PublicKeyCredentialCreationOptionsJSON>(creation), options.overrides);
  const result = await post(app, '/api/v1/me/two-factor/webauthn/registration', { ...(options.name ? { name: options.name } : {}), response }, token);
  const json = body<{ authenticator?: { id: string }; recoveryCodes?: string[] }>(result);
  return { id: json.authenticator?.id ?? '', response: result, recoveryCodes: json.recoveryCodes };
}

export async function reauth(
  app: FastifyInstance,
  token: string,
  password: string,
  secondFactor?: { code: string } | { key: SoftwareAuthenticator },
): Promise<LightMyRequestResponse> {
  let extra = {};
  if (secondFactor && 'code' in secondFactor) extra = { code: secondFactor.code };
  if (secondFactor && 'key' in secondFactor) {
    const request = await post(app, '/api/v1/me/reauth/webauthn/options', {}, token);
    extra = { webauthn: secondFactor.key.authenticate(body<PublicKeyCredentialRequestOptionsJSON>(request)) };
  }
  const response = await post(app, '/api/v1/me/reauth', { password, ...extra }, token);
  if (response.statusCode !== 200) throw new Error(`reauth failed: ${response.statusCode} ${response.body}`);
  return response;
}

export async function loginOptions(app: FastifyInstance, challengeId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const response = await post(app, '/api/v1/auth/login/webauthn/options', { challengeId }, undefined);
  if (response.statusCode !== 200) throw new Error(`login options failed: ${response.statusCode} ${response.body}`);
  return body<PublicKeyCredentialRequestOptionsJSON>(response);
}

export async function passkeyOptions(app: FastifyInstance): Promise<PublicKeyCredentialRequestOptionsJSON & { passkeyChallengeId: string }> {
  const response = await post(app, '/api/v1/auth/login/passkey/options', {});
  if (response.statusCode !== 200) throw new Error(`passkey options failed: ${response.statusCode} ${response.body}`);
  return body(response);
}
