import { consumeEmailCode } from '../../shared/email-codes.ts';
import type { AuthenticatorKind, FactorVerdict, SecondFactor, VerifyContext } from '../types.ts';

export const emailKind: AuthenticatorKind = { type: 'email', label: 'Email', defaultName: 'Email', maxPerAccount: 1 };

async function verify({ deps, account, emailCodeKey }: VerifyContext, proof: { method: 'email'; code: string }): Promise<FactorVerdict> {
  const [method] = await deps.store.listAuthenticators(account.id, 'email');
  if (method === undefined || emailCodeKey === null) return { outcome: 'wrong' };
  if ((await consumeEmailCode(deps, emailCodeKey, account.id, proof.code)) === null) return { outcome: 'wrong' };
  await deps.store.markAuthenticatorUsed(method.id, deps.clock());
  return { outcome: 'accepted', authenticatorId: method.id };
}

export const emailFactor: SecondFactor<{ method: 'email'; code: string }> = {
  method: 'email',
  authenticatorType: 'email',
  amr: ['otp'],
  isAvailable: async (deps, account) => (await deps.store.countAuthenticators(account.id, 'email')) > 0,
  verify,
};
