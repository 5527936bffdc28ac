import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { adminResetTwoFactor } from '../flows/admin-reset-two-factor.ts';
import { createAccount } from '../flows/create-account.ts';
import { listAccounts } from '../flows/list-accounts.ts';
import { listAuditEvents } from '../flows/list-audit-events.ts';
import { unlockAccount } from '../flows/unlock-account.ts';
import { rotateMasterKey } from '../runtime/rotate-master-key.ts';
import { createServices } from '../runtime/services.ts';
import { sqliteFilePath } from '../store/database.ts';
import { startServer } from '../server.ts';
import { randomBytes } from 'node:crypto';

const USAGE = `Usage: twofold <command>

  serve                              start the service (same as npm start)
  user list                          accounts with their two-factor status
  user create <username> [--email A] [--display-name N] [--role user|admin] [--password-stdin]
                                     create an account; without --password-stdin a password is generated and printed
  user disable-2fa <username>        turn off two-factor for a user who lost their device; ends their sessions
  user unlock <username>             lift password and second-factor lockouts
  audit [--limit N] [--user NAME]    recent audit events, newest first
  keys rotate-master [--new-key-stdin]
                                     new master key, every stored secret re-sealed, with the service running;
                                     with TWOFOLD_MASTER_KEY the new key (64 hex digits) comes on standard input

The commands work on the data the service uses (TWOFOLD_DATA_DIR or TWOFOLD_DATABASE_URL),
whether or not the server is running.`;

const actor = () => ({ name: `cli:${os.userInfo().username}`, ip: null });

async function withServices<T>(work: (services: Awaited<ReturnType<typeof createServices>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Pointed at the wrong folder, a command must not quietly create an empty database (and a
  // new master key) there; only `serve` creates one.
  const file = sqliteFilePath(config.dataDir);
  if (config.databaseUrl === null && !existsSync(file)) {
    throw new Error(`No database at ${file}. Start the service once (npm start), or set TWOFOLD_DATA_DIR to its data folder.`);
  }
  const services = await createServices(config);
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

async function userCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      'display-name': { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
  });
  if (sub === 'list') {
    await withServices(async ({ flows }) => {
      const users = await listAccounts(flows);
      console.log(['USERNAME', 'ROLE', 'TWO-FACTOR', 'EMAIL'].join('\t'));
      for (const u of users) {
        const twoFactor = u.twoFactor.enabled ? `on (${u.twoFactor.method})` : 'off';
        const locked = u.secondFactorLockedUntil !== null || u.passwordLockedUntil !== null;
        console.log([u.username, u.role, locked ? `${twoFactor}, locked` : twoFactor, u.email ?? '-'].join('\t'));
      }
    });
    return;
  }
  if (!['create', 'disable-2fa', 'unlock'].includes(sub ?? '')) throw new UsageError(`unknown command: twofold user ${sub ?? ''}`);
  const username = positionals[0];
  if (username === undefined) throw new UsageError(`twofold user ${sub ?? ''} needs a username`);
  if (positionals.length > 1) throw new UsageError(`twofold user ${sub ?? ''} takes one username (put names with spaces in quotes)`);
  if (sub === 'create') {
    if (values.role !== undefined && values.role !== 'user' && values.role !== 'admin') throw new UsageError('--role must be user or admin');
    const generated = values['password-stdin'] ? null : randomBytes(12).toString('base64url');
    const password = generated ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    await withServices(async ({ flows }) => {
      const account = await createAccount(
        flows,
        { username, password, email: values.email, displayName: values['display-name'], role: values.role as 'user' | 'admin' | undefined },
        actor(),
      );
      console.log(`Created ${account.role} "${account.username}".`);
      if (generated !== null) console.log(`Password (shown once): ${generated}`);
    });
    return;
  }
  if (sub === 'disable-2fa') {
    await withServices(async ({ flows }) => {
      const result = await adminResetTwoFactor(flows, username, actor());
      console.log(
        result.wasEnabled
          ? `Two-factor authentication is now off for "${result.account.username}"; ${result.sessionsEnded} session(s) ended.`
          : `Two-factor authentication was already off for "${result.account.username}"; ${result.sessionsEnded} session(s) ended.`,
      );
    });
    return;
  }
  if (sub === 'unlock') {
    await withServices(async ({ flows }) => {
      await unlockAccount(flows, username, actor());
      console.log(`Unlocked "${username}".`);
    });
    return;
  }
  throw new UsageError(`unknown command: twofold user ${sub ?? ''}`);
}

async function auditCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { limit: { type: 'string' }, user: { type: 'string' } } });
  if (values.limit !== undefined && !/^[0-9]{1,4}$/.test(values.limit)) throw new UsageError('--limit must be a whole number from 1 to 1000');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
  await withServices(async ({ flows }) => {
    const page = await listAuditEvents(flows, { limit, username: values.user });
    for (const e of page.events) {
      console.log([new Date(e.at).toISOString(), e.type, e.outcome, e.username ?? '-', e.actor ?? '-', e.client ?? '-', e.ip ?? '-'].join('\t'));
    }
  });
}

async function keysCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'rotate-master') throw new UsageError(`unknown command: twofold keys ${sub ?? ''}`);
  const { values } = parseArgs({ args: rest, options: { 'new-key-stdin': { type: 'boolean' } } });
  const config = loadConfig();
  if (config.masterKey !== null && !values['new-key-stdin']) {
    throw new UsageError('TWOFOLD_MASTER_KEY is set, so the new key cannot be written for you: give it on standard input with --new-key-stdin');
  }
  let newKey = randomBytes(32);
  if (values['new-key-stdin']) {
    const text = readFileSync(0, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(text)) throw new UsageError('--new-key-stdin expects 64 hex digits (32 bytes), for example from: openssl rand -hex 32');
    newKey = Buffer.from(text, 'hex');
  }
  await withServices(async (services) => {
    const report = await rotateMasterKey(services, { newKey, log: (line) => console.log(line) });
    console.log(
      config.masterKey === null
        ? `Done: master.key holds the new key ${report.newKeyId}. Back it up; the old key opens nothing any more.`
        : `Done: set TWOFOLD_MASTER_KEY to the new key (${report.newKeyId}) before the next restart; the old key opens nothing any more.`,
    );
  });
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'serve') {
      const server = await startServer(loadConfig());
      const shutdown = (signal: string) => {
        server.app.log.info({ signal }, 'shutting down');
        server.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      return -1;
    }
    if (command === 'user') await userCommand(rest);
    else if (command === 'audit') await auditCommand(rest);
    else if (command === 'keys') await keysCommand(rest);
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') console.log(USAGE);
    else throw new UsageError(`unknown command: ${command}`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
    else if ((error as { code?: string }).code === 'EADDRINUSE') {
      console.error(`Error: ${(error as Error).message}. Another program uses that address; choose another port with TWOFOLD_PORT.`);
    }
    else if (error instanceof DomainError) console.error(`Error: ${error.message}`);
    else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    } else console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
