import type { LimitsConfig } from '../../config.ts';
import type { Clock } from '../../core/clock.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import type { Account, AuditEvent } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';

/** Security events the account owner hears about (by email when the address is verified). */
export type SecurityNotice =
  | 'two_factor_enabled'
  | 'two_factor_disabled'
  | 'two_factor_admin_reset'
  | 'recovery_code_used'
  | 'lockout'
  | 'new_device_sign_in'
  | 'email_changed';

export interface SecurityNotifier {
  /** Must not throw: a notification that cannot be sent never undoes the change it reports. */
  notify(account: Account, notice: SecurityNotice, details: Record<string, string>): Promise<void>;
}

export const silentNotifier: SecurityNotifier = { notify: async () => {} };

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Delivers one message or throws; the flows decide what a failed delivery means. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** What every flow receives: storage, time, the key for sealed secrets, settings and side channels. */
export interface FlowDeps {
  store: Store;
  clock: Clock;
  secretBox: SecretBox;
  settings: FlowSettings;
  notifier: SecurityNotifier;
  mailer: Mailer;
  /** Called after each audit event is stored (metrics hang off this). */
  onAudit?: (event: AuditEvent) => void;
}

export interface FlowSettings {
  issuer: string;
  sessionTtlMs: number;
  limits: LimitsConfig;
}
