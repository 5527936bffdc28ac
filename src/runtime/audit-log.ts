import { createWriteStream, type WriteStream } from 'node:fs';
import type { Config } from '../config.ts';
import type { AuditEvent } from '../core/types.ts';

export interface AuditLogSink {
  write(event: AuditEvent): void;
  close(): Promise<void>;
}

/**
 * TWOFOLD_AUDIT_LOG: every audit event also goes out as one JSON line, for a SIEM to collect.
 * Events hold no password, code, token or secret (see flows/shared/audit.ts), so neither does this.
 */
export function openAuditLog(setting: Config['auditLog']): AuditLogSink | null {
  if (setting === null) return null;
  const line = (event: AuditEvent) => `${JSON.stringify({ ...event, at: new Date(event.at).toISOString() })}\n`;
  if (setting.kind === 'stdout') {
    return { write: (event) => void process.stdout.write(line(event)), close: async () => {} };
  }
  // Appended, owner-only: usernames and addresses are personal data.
  const stream: WriteStream = createWriteStream(setting.path, { flags: 'a', mode: 0o600 });
  stream.on('error', () => {});
  return {
    write: (event) => void stream.write(line(event)),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
