import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.ts';
import * as knownDevices from './002-known-devices.ts';
import * as sessionEpochs from './003-session-epochs-and-pending-attempts.ts';
import * as pendingTime from './004-pending-attempt-time.ts';
import * as authenticators from './005-authenticators.ts';
import * as auditIndexes from './006-audit-indexes.ts';
import * as accountAdministration from './007-account-administration.ts';
import * as webauthn from './009-webauthn.ts';
import * as endedSessions from './013-ended-sessions.ts';
import * as trustedDevices from './014-trusted-devices.ts';
import * as twoFactorPolicy from './015-two-factor-policy.ts';
import * as userLanguage from './016-user-language.ts';
import * as expiryIndexes from './017-expiry-indexes.ts';

/** Migrations are compiled in, not read from disk, so a bundled or relocated build still finds them. */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '001-initial': initial,
      '002-known-devices': knownDevices,
      '003-session-epochs-and-pending-attempts': sessionEpochs,
      '004-pending-attempt-time': pendingTime,
      '005-authenticators': authenticators,
      '006-audit-indexes': auditIndexes,
      '007-account-administration': accountAdministration,
      '009-webauthn': webauthn,
      // Numbers only order; gaps are harmless.
      '013-ended-sessions': endedSessions,
      '014-trusted-devices': trustedDevices,
      '015-two-factor-policy': twoFactorPolicy,
      '016-user-language': userLanguage,
      '017-expiry-indexes': expiryIndexes,
    };
  },
};
