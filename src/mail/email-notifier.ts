import type { Account } from '../core/types.ts';
import type { MailTransport as Mailer, SecurityNotice, SecurityNotifier } from '../ports.ts';
import type { MailLog } from './mailers.ts';
import { noticeMail } from './templates.ts';

/** Security notices by email, only to addresses the owner has proven. Never throws. */
export function createEmailNotifier(mailer: Mailer, issuer: string, log: MailLog): SecurityNotifier {
  return {
    async notify(account: Account, notice: SecurityNotice, details: Record<string, string>): Promise<void> {
      if (account.email === null || !account.emailVerified) return;
      try {
        await mailer.send(noticeMail({ to: account.email, notice, details, issuer, username: account.username }));
      } catch (error) {
        // The change it reports has happened; a lost notice must not turn into an error for the user.
        log.warn({ err: error, notice, userId: account.id }, 'security notification could not be sent');
      }
    },
  };
}
