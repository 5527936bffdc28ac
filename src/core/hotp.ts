import { createHmac } from 'node:crypto';

export type HMACAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface HOTPOptions {
  algorithm?: HMACAlgorithm;
  digits?: number;
}

const NODE_ALGORITHM: Record<HMACAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const TWO_TO_32 = 2 ** 32;

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new TypeError('digits must be an integer from 6 to 10');
  }
}

/**
 * RFC 4226 §5.3 HOTP value as a number (the code is this, zero-padded to `digits`). `counter`
 * is a safe integer, written as two 32-bit halves: exact for every TOTP step until the year
 * 285,000,000 at 30 s, without a bigint per call. `message` is scratch space the caller may reuse.
 */
export function computeHOTPValue(key: Uint8Array, counter: number, algorithm: HMACAlgorithm, digits: number, message: Buffer = Buffer.allocUnsafe(8)): number {
  message.writeUInt32BE(Math.floor(counter / TWO_TO_32), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(NODE_ALGORITHM[algorithm], key).update(message).digest();
  // Dynamic truncation: the low nibble of the last byte picks four bytes, top bit masked.
  const offset = mac[mac.length - 1]! & 0x0f;
  return (mac.readUInt32BE(offset) & 0x7fff_ffff) % 10 ** digits;
}

/**
 * RFC 4226 §5.3 HOTP code for an 8-byte counter. The counter is a bigint so that every 64-bit
 * counter (and the RFC 6238 vectors beyond 2038) is exact.
 */
export function generateHOTP(key: Uint8Array, counter: bigint, options: HOTPOptions = {}): string {
  const digits = options.digits ?? 6;
  checkDigits(digits);
  if (counter < 0n || counter > 0xffff_ffff_ffff_ffffn) throw new TypeError('counter must fit in 64 bits');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(NODE_ALGORITHM[options.algorithm ?? 'SHA1'], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fff_ffff;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

export { checkDigits as assertHOTPDigits };
