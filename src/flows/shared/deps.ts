import type { LimitsConfig } from '../../config.ts';
import type { AuditEvent } from '../../core/types.ts';
import type { Clock, Mailer, PasswordHasher, SecretBox, SecurityNotifier } from '../../ports.ts';
import type { Store } from '../../store/store.ts';
import type { RelyingParty } from '../factors/webauthn/relying-party.ts';
import type { Translator } from '../../i18n/translator.ts';

// The ports live in src/ports.ts; re-exported here for flows that import them from their deps.
export type { CodeMail, Mailer, MailMessage, MailTransport, SecurityNotice, SecurityNotifier } from '../../ports.ts';

export const silentNotifier: SecurityNotifier = { notify: async () => {} };

/** What every flow receives: storage, time, the key for sealed secrets, settings and side channels. */
export interface FlowDeps {
  store: Store;
  clock: Clock;
  secretBox: SecretBox;
  passwords: PasswordHasher;
  settings: FlowSettings;
  notifier: SecurityNotifier;
  mailer: Mailer;
  /** Where work that outlives its request (a mail sent after the answer) reports trouble. */
  log?: { warn(fields: Record<string, unknown>, message: string): void };
  /** The catalogs: the language of answers and mails (locales/); English when absent. */
  translator?: Translator;
  /** Called after each audit event is stored (metrics hang off this). */
  onAudit?: (event: AuditEvent) => void;
}

export interface FlowSettings {
  issuer: string;
  /** The WebAuthn relying party: RP ID and accepted origins, from TWOFOLD_PUBLIC_URL and TWOFOLD_WEBAUTHN_ORIGINS. */
  relyingParty: RelyingParty;
  /** Base of links in mails (TWOFOLD_PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
  sessionTtlMs: number;
  /** TWOFOLD_TRUSTED_DEVICE_DAYS: how long a trusted device skips the second step; 0: never. */
  trustedDeviceDays: number;
  limits: LimitsConfig;
}
