import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestMailbox {
  url: string;
  messages: ParsedMail[];
  /** Resolves with the newest message (already received or arriving) to `to` matching `predicate`. */
  waitFor(to: string, predicate?: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Messages received for `to`, oldest first. */
  to(address: string): ParsedMail[];
  /** Answers every message with a permanent failure until called with false. */
  reject(on: boolean): void;
  /** Holds the answer to each message this long (a slow relay), until called with 0. */
  delayAnswers(ms: number): void;
  close(): Promise<void>;
}

function recipients(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** A real SMTP server (smtp-server) in the test process; mail is parsed with mailparser. */
export async function startMailbox(): Promise<TestMailbox> {
  const messages: ParsedMail[] = [];
  const waiters: Array<() => void> = [];
  let rejecting = false;
  let answerDelayMs = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      if (rejecting) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 })));
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          for (const wake of waiters.splice(0)) wake();
          if (answerDelayMs > 0) setTimeout(callback, answerDelayMs);
          else callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  // Newest first: a test waiting for "the next mail" wants the latest one that matches.
  const find = (to: string, predicate: (mail: ParsedMail) => boolean) =>
    messages.findLast((m) => recipients(m).includes(to.toLowerCase()) && predicate(m));

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address) => messages.filter((m) => recipients(m).includes(address.toLowerCase())),
    reject(on) {
      rejecting = on;
    },
    delayAnswers(ms) {
      answerDelayMs = ms;
    },
    async waitFor(to, predicate = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find(to, predicate);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail to ${to} within ${timeoutMs} ms (got ${messages.length} in all)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The 6-digit code of a code mail: from its body, and never in its Subject (lock screens show that). */
export function codeFromMail(mail: ParsedMail): string {
  if (!/^Your .+ authentication code$/.test(mail.subject ?? '')) throw new Error(`not a code mail: ${mail.subject}`);
  const match = /Your authentication code is ([0-9]{6})/.exec(mail.text ?? '');
  if (!match?.[1]) throw new Error('code missing from the text body');
  if (/[0-9]{6}/.test(mail.subject ?? '')) throw new Error('the code is in the Subject');
  if (!mail.html || !mail.html.includes(match[1])) throw new Error('code missing from the HTML body');
  return match[1];
}
