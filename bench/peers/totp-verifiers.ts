import { createHmac, timingSafeEqual } from 'node:crypto';
import * as OTPAuth from 'otpauth';

/**
 * The bare `node:crypto` verifier the TOTP engine is measured against: what a careful developer
 * writes in a few lines (SHA-1, 6 digits, ±1 step, the current step first and an early exit on a
 * match, constant-time string comparison). It has no options, no replay rule and no input
 * checks beyond the length, so it is the floor of the work a verifier must do.
 */
export function bareVerify(key: Buffer, code: string, now: number): number | null {
  if (code.length !== 6) return null;
  const submitted = Buffer.from(code, 'ascii');
  const current = Math.floor(now / 30_000);
  for (const step of [current, current - 1, current + 1]) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step));
    const mac = createHmac('sha1', key).update(counter).digest();
    const offset = mac[19]! & 0x0f;
    const expected = ((mac.readUInt32BE(offset) & 0x7fff_ffff) % 1_000_000).toString().padStart(6, '0');
    if (timingSafeEqual(Buffer.from(expected, 'ascii'), submitted)) return step;
  }
  return null;
}

/** The peer library, `otpauth`, configured as authenticator apps are (SHA-1, 6 digits, 30 s, ±1). */
export function createOTPAuthVerifier(key: Buffer): (code: string, now: number) => number | null {
  const totp = new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) as ArrayBuffer }), algorithm: 'SHA1', digits: 6, period: 30 });
  return (code, now) => totp.validate({ token: code, timestamp: now, window: 1 });
}
