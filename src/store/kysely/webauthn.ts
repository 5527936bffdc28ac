import type { Kysely } from 'kysely';
import type { Authenticator } from '../../core/types.ts';
import type { Database } from '../schema.ts';
import type { NewWebAuthnChallenge, WebAuthnStore } from '../store.ts';
import { toAuthenticator } from './authenticators.ts';
import { changedRows } from './rows.ts';

export function webauthnQueries(db: Kysely<Database>): WebAuthnStore {
  return {
    async saveWebAuthnChallenge(challenge: NewWebAuthnChallenge): Promise<void> {
      const values = {
        user_id: challenge.userId,
        challenge: challenge.challenge,
        created_at: challenge.createdAt,
        expires_at: challenge.expiresAt,
        consumed_at: null,
      };
      // Asking again replaces the earlier challenge of the same login, window or registration.
      await db
        .insertInto('webauthn_challenges')
        .values({ binding: challenge.binding, ...values })
        .onConflict((oc) => oc.column('binding').doUpdateSet(values))
        .execute();
    },

    async takeWebAuthnChallenge(binding: string, challenge: string, now: number): Promise<{ userId: string | null } | null> {
      // Guarded: of parallel requests exactly one consumes it, on any instance, and an answer to
      // a replaced challenge consumes nothing (the one asked for since stays good).
      const result = await db
        .updateTable('webauthn_challenges')
        .set({ consumed_at: now })
        .where('binding', '=', binding)
        .where('challenge', '=', challenge)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (changedRows(result) !== 1) return null;
      const row = await db.selectFrom('webauthn_challenges').select('user_id').where('binding', '=', binding).executeTakeFirst();
      return { userId: row?.user_id ?? null };
    },

    async findWebAuthnAuthenticator(credentialId: string): Promise<Authenticator | null> {
      const row = await db
        .selectFrom('authenticators')
        .selectAll()
        .where('credential_id', '=', credentialId)
        .where('type', '=', 'webauthn')
        .executeTakeFirst();
      return row ? toAuthenticator(row) : null;
    },

    async advanceSignCount(id: string, signCount: number, now: number): Promise<boolean> {
      const result = await db
        .updateTable('authenticators')
        .set({ sign_count: signCount, last_used_at: now })
        .where('id', '=', id)
        .where('type', '=', 'webauthn')
        // A counting key must move forward; a key that reports 0 stays at 0 (WebAuthn §6.1.1).
        .where((eb) => (signCount === 0 ? eb('sign_count', '=', 0) : eb('sign_count', '<', signCount)))
        .executeTakeFirst();
      return changedRows(result) === 1;
    },
  };
}
