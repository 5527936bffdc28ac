import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import type { PasswordHasher } from '../ports.ts';
import { isCommonPassword } from './common-passwords.ts';

// OWASP's Argon2id baseline is m=19 MiB, t=2, p=1; these parameters stay at or above it.
const ARGON2ID = 2; // Algorithm.Argon2id; the package's const enum does not survive isolatedModules.
export const PASSWORD_HASH_PARAMETERS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// Argon2id is CPU- and memory-bound (19 MiB a run): more runs at once than cores only adds
// memory and latency, never throughput. Excess runs wait their turn here.
const argon2Slots = pLimit(Math.max(1, availableParallelism()));

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`). */
export async function hashPassword(password: string): Promise<string> {
  return argon2Slots(() => hash(password, PASSWORD_HASH_PARAMETERS));
}

export async function verifyPassword(phcHash: string, password: string): Promise<boolean> {
  try {
    return await argon2Slots(() => verify(phcHash, password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification. Called for unknown usernames so that the answer
 * time does not reveal which usernames exist.
 */
export async function verifyAgainstDummyHash(password: string): Promise<false> {
  dummyHash ??= hashPassword('twofold-timing-equaliser');
  await verifyPassword(await dummyHash, password);
  return false;
}

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * The PasswordHasher port over Argon2id. Production always uses PASSWORD_HASH_PARAMETERS (the
 * service wires it without arguments); only tests pass cheaper parameters, through this port.
 * Hashes made with other parameters still verify: the PHC string carries its own.
 */
export function createArgon2PasswordHasher(parameters: Argon2Parameters = PASSWORD_HASH_PARAMETERS): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  let dummy: Promise<string> | undefined;
  const verifyWith = async (phcHash: string, password: string): Promise<boolean> => {
    try {
      return await argon2Slots(() => verify(phcHash, password));
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => argon2Slots(() => hash(password, options)),
    verify: verifyWith,
    async verifyDummy(password) {
      dummy ??= argon2Slots(() => hash('twofold-timing-equaliser', options));
      await verifyWith(await dummy, password);
      return false;
    },
  };
}

/** Returns a reason a new password is unacceptable (every path that sets one asks), or null. */
export function checkPasswordStrength(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `Password must be at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (isCommonPassword(password)) {
    return 'This password is on a list of commonly used or breached passwords, so it is easy to guess. Choose another.';
  }
  return null;
}
