import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import type { AccountEdit } from '../flows/admin/edit-account.ts';
import type { Services } from '../runtime/services.ts';
import { randomBytes } from 'node:crypto';

// Each command imports what it uses when it runs: `user list` must not pay for loading Fastify
// (the HTTP stack) or the flows of other commands.

const USAGE = `Usage: twofold <command>

  serve                              start the service (same as npm start)
  user list                          accounts with their two-factor status
  user create <username> [--email A] [--display-name N] [--role user|admin] [--password-stdin]
                                     create an account; without --password-stdin a password is generated and printed
  user edit <username> [--display-name N] [--email A] [--role user|admin]
                                     change an account (--email "" removes the address; a new one is unverified)
  user disable <username>            suspend an account: it cannot log in and its sessions end
  user enable <username>             let a disabled account log in again
  user delete <username>             delete an account (its audit events stay)
  user reset-password <username> [--password-stdin]
                                     set a password the user must change at the next login; without
                                     --password-stdin one is generated and printed; ends their sessions
  user disable-2fa <username>        turn off two-factor for a user who lost their device; ends their sessions
  user recover-2fa <username>        print a one-time recovery code (24 h) that lets the user sign in once
                                     and set up a new authenticator; their old ones are then removed
  user unlock <username>             lift password and second-factor lockouts (unknown-device and device locks)
  user devices <username>            the account's trusted devices (name, client, first and last use, expiry)
  user forget-devices <username>     forget every device of the account: trusted ones ask for a code again
  policy show                        the two-factor requirement and grace period
  policy set <off|admins|all> [--grace-days N]
                                     require two-factor (N: 0 to 90 days to postpone the setup; default 0)
  audit [--limit N] [--user NAME]    recent audit events, newest first
  backup <file> [--force]            copy the SQLite database to <file> while the service runs
                                     (PostgreSQL: use pg_dump); --force replaces an existing file
  restore <file> [--force]           put a backup in place as the database of TWOFOLD_DATA_DIR
                                     (stop the service first); --force replaces an existing database
  keys rotate-master [--new-key-stdin]
                                     new master key, every stored secret re-sealed, with the service running;
                                     with TWOFOLD_MASTER_KEY the new key (64 hex digits) comes on standard input

The commands work on the data the service uses (TWOFOLD_DATA_DIR or TWOFOLD_DATABASE_URL),
whether or not the server is running.`;

const actor = () => ({ name: `cli:${os.userInfo().username}`, ip: null });

async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const [{ createServices }, { sqliteFilePath }] = await Promise.all([import('../runtime/services.ts'), import('../store/database.ts')]);
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
    const { listAccounts } = await import('../flows/list-accounts.ts');
    await withServices(async ({ flows }) => {
      const users = await listAccounts(flows);
      console.log(['USERNAME', 'ROLE', 'TWO-FACTOR', 'EMAIL'].join('\t'));
      for (const u of users) {
        const twoFactor = u.twoFactor.enabled ? `on (${u.twoFactor.method})` : 'off';
        const locked = u.secondFactorLockedUntil !== null || u.passwordLockedUntil !== null || u.deviceLockedUntil !== null;
        console.log([u.username, u.role, locked ? `${twoFactor}, locked` : twoFactor, u.email ?? '-'].join('\t'));
      }
    });
    return;
  }
  if (!['create', 'disable-2fa', 'recover-2fa', 'unlock', 'edit', 'delete', 'disable', 'enable', 'reset-password', 'devices', 'forget-devices'].includes(sub ?? '')) throw new UsageError(`unknown command: twofold user ${sub ?? ''}`);
  const username = positionals[0];
  if (username === undefined) throw new UsageError(`twofold user ${sub ?? ''} needs a username`);
  if (positionals.length > 1) throw new UsageError(`twofold user ${sub ?? ''} takes one username (put names with spaces in quotes)`);
  if (sub === 'create') {
    if (values.role !== undefined && values.role !== 'user' && values.role !== 'admin') throw new UsageError('--role must be user or admin');
    const generated = values['password-stdin'] ? null : randomBytes(12).toString('base64url');
    const password = generated ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    const { createAccount } = await import('../flows/create-account.ts');
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
    const { adminResetTwoFactor } = await import('../flows/admin-reset-two-factor.ts');
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
  if (sub === 'recover-2fa') {
    await withServices(async ({ flows }) => {
      const { issueAdminRecoveryCode } = await import('../flows/admin/issue-recovery-code.ts');
      const issued = await issueAdminRecoveryCode(flows, username, actor());
      console.log(`Recovery code for "${username}" (shown once, valid until ${new Date(issued.expiresAt).toISOString()}): ${issued.code}`);
      console.log('With their password, they choose "I have a code from my administrator" at the code step and set up a new authenticator.');
    });
    return;
  }
  if (sub === 'edit') {
    if (values.role !== undefined && values.role !== 'user' && values.role !== 'admin') throw new UsageError('--role must be user or admin');
    const edit: AccountEdit = {
      ...(values['display-name'] === undefined ? {} : { displayName: values['display-name'] }),
      ...(values.email === undefined ? {} : { email: values.email === '' ? null : values.email }),
      ...(values.role === undefined ? {} : { role: values.role as 'user' | 'admin' }),
    };
    if (Object.keys(edit).length === 0) throw new UsageError('twofold user edit needs --display-name, --email or --role');
    await withServices(async ({ flows }) => {
      const { editAccount } = await import('../flows/admin/edit-account.ts');
      const account = await editAccount(flows, username, edit, actor());
      const email = account.email === null ? 'no email' : `${account.email}${account.emailVerified ? '' : ' (unverified)'}`;
      console.log(`Saved "${account.username}": ${account.role}, "${account.displayName}", ${email}.`);
    });
    return;
  }
  if (sub === 'disable' || sub === 'enable') {
    await withServices(async ({ flows }) => {
      const { editAccount } = await import('../flows/admin/edit-account.ts');
      const account = await editAccount(flows, username, { disabled: sub === 'disable' }, actor());
      console.log(sub === 'disable' ? `Disabled "${account.username}": it cannot log in, and its sessions ended.` : `Enabled "${account.username}".`);
    });
    return;
  }
  if (sub === 'delete') {
    await withServices(async ({ flows }) => {
      const { deleteAccount } = await import('../flows/admin/delete-account.ts');
      await deleteAccount(flows, username, actor());
      console.log(`Deleted "${username}". Its audit events are kept.`);
    });
    return;
  }
  if (sub === 'reset-password') {
    const given = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined;
    await withServices(async ({ flows }) => {
      const { adminResetPassword } = await import('../flows/admin/reset-password.ts');
      const result = await adminResetPassword(flows, username, given === undefined ? {} : { password: given }, actor());
      console.log(`New password set for "${result.account.username}"; ${result.sessionsEnded} session(s) ended. They must choose their own at the next login.`);
      if (given === undefined) console.log(`Password (shown once): ${result.password}`);
    });
    return;
  }
  if (sub === 'unlock') {
    const { unlockAccount } = await import('../flows/unlock-account.ts');
    await withServices(async ({ flows }) => {
      await unlockAccount(flows, username, actor());
      console.log(`Unlocked "${username}".`);
    });
    return;
  }
  if (sub === 'devices') {
    const { listTrustedDevicesOf } = await import('../flows/login/manage-devices.ts');
    await withServices(async ({ flows }) => {
      const devices = await listTrustedDevicesOf(flows, username);
      if (devices.length === 0) {
        console.log(`"${username}" has no trusted devices.`);
        return;
      }
      console.log(['ID', 'NAME', 'CLIENT', 'TRUSTED SINCE', 'LAST USED', 'EXPIRES'].join('\t'));
      const at = (ms: number) => new Date(ms).toISOString();
      for (const d of devices) console.log([d.id, d.name, d.client, at(d.createdAt), at(d.lastUsedAt), at(d.expiresAt)].join('\t'));
    });
    return;
  }
  if (sub === 'forget-devices') {
    const { forgetDevicesOf } = await import('../flows/login/manage-devices.ts');
    await withServices(async ({ flows }) => {
      const removed = await forgetDevicesOf(flows, username, actor());
      console.log(`Forgot ${removed} device(s) of "${username}": every client asks for a code again.`);
    });
    return;
  }
  throw new UsageError(`unknown command: twofold user ${sub ?? ''}`);
}

const REQUIREMENTS = ['off', 'admins', 'all'] as const;

async function policyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'grace-days': { type: 'string' } } });
  const [sub, requirement] = positionals;
  const { readPolicy, setPolicy } = await import('../flows/admin/two-factor-policy.ts');
  const describe = (p: { twoFactorRequired: string; gracePeriodDays: number }) =>
    `Two-factor required: ${p.twoFactorRequired === 'off' ? 'off' : p.twoFactorRequired === 'admins' ? 'administrators only' : 'all users'}; grace period ${p.gracePeriodDays} day(s).`;
  if (sub === 'show' && positionals.length === 1) {
    await withServices(async ({ flows }) => console.log(describe(await readPolicy(flows))));
    return;
  }
  if (sub === 'set' && positionals.length === 2) {
    if (!(REQUIREMENTS as readonly string[]).includes(requirement ?? '')) throw new UsageError('twofold policy set needs off, admins or all');
    const days = values['grace-days'] ?? '0';
    if (!/^[0-9]{1,2}$/.test(days) || Number(days) > 90) throw new UsageError('--grace-days must be a whole number from 0 to 90');
    await withServices(async ({ flows }) => {
      const policy = await setPolicy(flows, { twoFactorRequired: requirement as (typeof REQUIREMENTS)[number], gracePeriodDays: Number(days) }, actor());
      console.log(`Saved. ${describe(policy)}`);
    });
    return;
  }
  throw new UsageError(`unknown command: twofold policy ${positionals.join(' ')}`);
}

async function auditCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { limit: { type: 'string' }, user: { type: 'string' } } });
  if (values.limit !== undefined && !/^[0-9]{1,4}$/.test(values.limit)) throw new UsageError('--limit must be a whole number from 1 to 1000');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
  const { listAuditEvents } = await import('../flows/list-audit-events.ts');
  await withServices(async ({ flows }) => {
    const page = await listAuditEvents(flows, { limit, username: values.user });
    for (const e of page.events) {
      console.log([new Date(e.at).toISOString(), e.type, e.outcome, e.username ?? '-', e.actor ?? '-', e.client ?? '-', e.ip ?? '-'].join('\t'));
    }
  });
}

async function backupCommand(command: 'backup' | 'restore', args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' } } });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError(`twofold ${command} needs one file name`);
  const config = loadConfig();
  const { backupDatabase, restoreDatabase } = await import('./backup.ts');
  const force = values.force === true;
  if (command === 'backup') {
    const written = await backupDatabase(config, file, { force });
    console.log(`Backed up the database to ${written}. Keep the master key with it (${config.masterKey === null ? `${config.dataDir}/master.key` : 'TWOFOLD_MASTER_KEY'}): without it the backup's secrets cannot be read.`);
  } else {
    const restored = await restoreDatabase(config, file, { force });
    console.log(`Restored ${restored} from ${file}. Start the service with the master key the backup was made with.`);
  }
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
    const { rotateMasterKey } = await import('../runtime/rotate-master-key.ts');
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
      const config = loadConfig();
      const { startServer } = await import('../server.ts');
      const server = await startServer(config);
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
    else if (command === 'policy') await policyCommand(rest);
    else if (command === 'backup' || command === 'restore') await backupCommand(command, rest);
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
