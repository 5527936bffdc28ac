import { decodeBase32 } from '../../../core/base32.ts';
import { authenticatorAssociatedData } from '../../../core/associated-data.ts';
import { TOTP_DEFAULTS, timeStepAt, verifyTOTP } from '../../../core/totp.ts';
import type { Authenticator } from '../../../core/types.ts';
import type { SecretBox } from '../../../ports.ts';
import { readSixDigitCode } from '../code-proof.ts';
import type { AuthenticatorKind, FactorVerdict, SecondFactor, VerifyContext } from '../types.ts';

export const totpKind: AuthenticatorKind = { type: 'totp', label: 'Authenticator app', defaultName: 'Authenticator app', maxPerAccount: 5 };

// RFC 6238 §6: a code that matches 2 to 10 steps in the past means the phone's clock is behind.
// Such a code is refused and counted like any wrong code, but the answer says how far behind.
// Future steps get no hint: it would tell a guesser a code that is about to become valid.
const DRIFT_NEAREST_STEP = 2;
const DRIFT_FARTHEST_STEP = 10;

export function openTOTPKey(secretBox: SecretBox, authenticator: Pick<Authenticator, 'id' | 'sealedSecret'>): Uint8Array {
  const secret = authenticator.sealedSecret === null ? null : secretBox.open(authenticator.sealedSecret, authenticatorAssociatedData(authenticator.id));
  const key = secret === null ? null : decodeBase32(secret);
  if (key === null) throw new Error('stored TOTP secret cannot be opened with the master key');
  return key;
}

/** Seconds between a matched step and the current one (negative: the phone is behind). */
export function clockOffsetSeconds(matchedStep: number, now: number): number {
  return (matchedStep - timeStepAt(now)) * TOTP_DEFAULTS.period;
}

/** The step a code matches in the drift window behind `now`, or null (no replay rule: it is a hint only). */
function matchPastStep(key: Uint8Array, code: string, now: number): number | null {
  const half = (DRIFT_FARTHEST_STEP - DRIFT_NEAREST_STEP) / 2;
  const centre = now - (DRIFT_NEAREST_STEP + half) * TOTP_DEFAULTS.period * 1000;
  return verifyTOTP(key, code, { now: centre, window: half });
}

async function verify({ deps, account }: VerifyContext, proof: { method: 'totp'; code: string }): Promise<FactorVerdict> {
  const now = deps.clock();
  const apps = await deps.store.listAuthenticators(account.id, 'totp');
  // Every app is checked (no early exit), so timing does not tell which one matched.
  const matches = apps.map((app) => {
    const key = openTOTPKey(deps.secretBox, app);
    return { app, key, step: verifyTOTP(key, proof.code, { now }) };
  });
  let reused = false;
  for (const { app, step } of matches) {
    if (step === null) continue;
    // The guarded update is the real replay check (per app, RFC 6238 §5.2): of two requests with
    // one code, one wins. A right code whose step this app already used is named as such.
    if (step > (app.lastUsedStep ?? -1) && (await deps.store.advanceAuthenticatorStep(app.id, step, { now, clockOffsetSeconds: clockOffsetSeconds(step, now) }))) {
      return { outcome: 'accepted', authenticatorId: app.id };
    }
    reused = true;
  }
  if (reused) return { outcome: 'reused' };
  // The drift window (9 more HMACs per app) is searched only for a wrong code, never on the
  // accepted path; every app is still searched, so the answer's timing names no app.
  const pastStep = matches.map(({ key }) => matchPastStep(key, proof.code, now)).find((step) => step !== null) ?? null;
  return pastStep === null ? { outcome: 'wrong' } : { outcome: 'wrong', clockSkewSeconds: clockOffsetSeconds(pastStep, now) };
}

export const totpFactor: SecondFactor<{ method: 'totp'; code: string }> = {
  method: 'totp',
  authenticatorType: 'totp',
  amr: ['otp'],
  isAvailable: async (deps, account) => (await deps.store.countAuthenticators(account.id, 'totp')) > 0,
  readProof: (input) => ({ method: 'totp', code: readSixDigitCode(input) }),
  verify,
};
