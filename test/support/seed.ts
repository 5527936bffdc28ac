import { randomUUID } from 'node:crypto';
import { encodeBase32 } from '../../src/core/base32.ts';
import { hashPassword } from '../../src/core/passwords.ts';
import { usernameKey } from '../../src/core/usernames.ts';
import { authenticatorAssociatedData } from '../../src/core/associated-data.ts';
import { createServices } from '../../src/runtime/services.ts';
import type { TestEnvironment } from './harness.ts';

export interface SeededAccount {
  username: string;
  password: string;
  /** Base32 TOTP secret, as an authenticator app would hold it. */
  secret: string;
}

/**
 * Accounts with an authenticator app, written through the store in one go: a soak needs
 * hundreds, and enrolling each through the API costs three Argon2id runs. They share one
 * password (one hash), and each secret is sealed with the database's real master key exactly as
 * the enable flow seals it, so logging in to them is the real thing.
 */
export async function seedTOTPAccounts(environment: TestEnvironment, count: number, prefix: string): Promise<SeededAccount[]> {
  const services = await createServices(environment.config);
  try {
    const { store, secretBox } = services.flows;
    const password = `${prefix}-shared-password`;
    const passwordHash = await hashPassword(password);
    const now = Date.now();
    const accounts: SeededAccount[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const authenticatorId = randomUUID();
      const username = `${prefix}-${i}`;
      const secret = encodeBase32(crypto.getRandomValues(new Uint8Array(20)));
      await store.transaction(async (tx) => {
        await tx.createAccount({ id, username, usernameKey: usernameKey(username), displayName: username, email: null, emailVerified: false, role: 'user', passwordHash, createdAt: now });
        await tx.addAuthenticator({
          id: authenticatorId,
          userId: id,
          type: 'totp',
          name: 'Authenticator app',
          sealedSecret: secretBox.seal(secret, authenticatorAssociatedData(authenticatorId)),
          lastUsedStep: 0,
          clockOffsetSeconds: null,
          createdAt: now,
        });
      });
      accounts.push({ username, password, secret });
    }
    return accounts;
  } finally {
    await services.close();
  }
}
