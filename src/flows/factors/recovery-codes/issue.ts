import { generateRecoveryCodes, hashRecoveryCode } from '../../../core/recovery-codes.ts';
import type { Store } from '../../../store/store.ts';
import type { FlowDeps } from '../../shared/deps.ts';

/** Keyed per account too, so equal codes of two accounts never share a digest. */
export function recoveryCodeDigest(deps: FlowDeps, userId: string, code: string): string {
  return hashRecoveryCode(code, (value) => deps.secretBox.mac(`${userId}:${value}`));
}

/** New codes replace every old one; returns them to show once. */
export async function issueRecoveryCodes(deps: FlowDeps, store: Store, userId: string, now: number): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await store.replaceRecoveryCodes(userId, codes.map((code) => recoveryCodeDigest(deps, userId, code)), now);
  return codes;
}
