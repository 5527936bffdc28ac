import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { MailTransport as Mailer, MailMessage } from '../ports.ts';

export interface MailLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * SMTP through nodemailer. Timeouts are short so that a dead relay turns into a clear error for
 * the user within seconds instead of a request hanging for minutes.
 */
export function createSMTPMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as nodemailer.TransportOptions);
  return {
    async send(message: MailMessage): Promise<void> {
      await transport.sendMail({ from, ...message });
    },
  };
}

/**
 * The embedded default: each mail becomes an .eml file in `<dataDir>/outbox`, so a fresh install
 * works end to end without a mail server. The files hold codes, so only the owner may read them.
 */
export function createOutboxMailer(dataDir: string, from: string, log: MailLog): Mailer {
  const outbox = path.join(dataDir, 'outbox');
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message: MailMessage): Promise<void> {
      const info = (await composer.sendMail({ from, ...message })) as { message: Buffer };
      mkdirSync(outbox, { recursive: true, mode: 0o700 });
      const file = path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`);
      writeFileSync(file, info.message, { mode: 0o600 });
      log.info({ file }, 'no SMTP server configured: mail written to the outbox');
    },
  };
}
