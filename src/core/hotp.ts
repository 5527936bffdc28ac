import { createHmac } from 'node:crypto';

export type HMACAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface HOTPOptions {
  algorithm?: HMACAlgorithm;
  digits?: number;
}

const NODE_ALGORITHM: Record<HMACAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/**
 * RFC 4226 §5.3 HOTP value for an 8-byte counter. The counter is a bigint so that TOTP steps
 * past 2^32 (year 2106 at 30 s, and the RFC 6238 vectors beyond 2038) are exact.
 */
export function generateHOTP(key: Uint8Array, counter: bigint, options: HOTPOptions = {}): string {
  const digits = options.digits ?? 6;
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new TypeError('digits must be an integer from 6 to 10');
  }
  if (counter < 0n || counter > 0xffff_ffff_ffff_ffffn) throw new TypeError('counter must fit in 64 bits');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(NODE_ALGORITHM[options.algorithm ?? 'SHA1'], key).update(message).digest();
  // Dynamic truncation: the low nibble of the last byte picks four bytes, top bit masked.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fff_ffff;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}
