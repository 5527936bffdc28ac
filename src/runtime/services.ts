import { availableParallelism } from 'node:os';
import type { Config } from '../config.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { SecretBox } from '../core/secret-box.ts';
import type { AuditEvent } from '../core/types.ts';
import type { FlowDeps } from '../flows/shared/deps.ts';
import type { MailTransport, PasswordHasher, SecurityNotifier } from '../ports.ts';
import { createArgon2PasswordHasher } from '../core/passwords.ts';
import { createAdmissionQueue, type AdmissionOptions } from '../core/admission-queue.ts';
import { createMailer } from '../mail/code-mailer.ts';
import { loadTranslator } from '../i18n/translator.ts';
import { createEmailNotifier } from '../mail/email-notifier.ts';
import { createOutboxMailer, createSMTPMailer, type MailLog } from '../mail/mailers.ts';
import { createDatabase, type DatabaseHandle } from '../store/database.ts';
import { resealAuthenticatorSecrets } from '../store/upgrades/reseal-authenticator-secrets.ts';
import { createRelyingParty } from '../flows/factors/webauthn/relying-party.ts';
import { openAuditLog } from './audit-log.ts';
import { keyFileFor, openKeyRing, type KeyRing } from './key-ring.ts';
import { loadOrCreateMasterKey, type MasterKeySource } from './master-key.ts';

/**
 * One hash per core at a time; up to 64 unknown-device checks per core (at least 128) may wait,
 * about 64 hash times or 3 s at full cost, before further ones are refused without a hash: an
 * office of a hundred first logins at once still gets in, a spray beyond that is cut off.
 */
function defaultAdmission(): AdmissionOptions {
  const cores = Math.max(1, availableParallelism());
  return { concurrency: cores, maxQueuedUnknown: Math.max(128, cores * 64) };
}

export interface Services {
  config: Config;
  database: DatabaseHandle;
  flows: FlowDeps;
  masterKeySource: MasterKeySource;
  /** The master keys; the server refreshes it every KEY_RING_POLL_MS to pick up a rotation. */
  keyRing: KeyRing;
  close(): Promise<void>;
}

const silentLog: MailLog = { info: () => {}, warn: () => {} };

/**
 * Opens the database and checks that the master key is the one its secrets were sealed with, so
 * an instance started with the wrong key refuses to start instead of failing every login.
 */
export async function createServices(
  config: Config,
  options: {
    clock?: Clock;
    notifier?: SecurityNotifier;
    /** Where mail goes (tests capture it); by default SMTP or the outbox, per the config. */
    mailer?: MailTransport;
    /** Tests only: cheaper hashing. The service never passes one, so production is always Argon2id at full cost. */
    passwordHasher?: PasswordHasher;
    /** Tests and the flood benchmark: the admission queue's bounds (core/admission-queue.ts). */
    admission?: Partial<AdmissionOptions>;
    log?: MailLog;
    onAudit?: (event: AuditEvent) => void;
    /** How long a write waits for another process's lock on the SQLite file (default 5 s). */
    sqliteLockWaitMs?: number;
  } = {},
): Promise<Services> {
  const { keys, source } = loadOrCreateMasterKey(config.masterKey, config.dataDir);
  // The configured keys open what the one-off upgrade after migration 005 re-seals; the ring
  // (active key id, rotation hand-offs) is read from the database right after.
  const secretBox = new SecretBox(keys[0]!, { retired: keys.slice(1) });
  const database = await createDatabase({ ...config, sqliteLockWaitMs: options.sqliteLockWaitMs }, (db) => resealAuthenticatorSecrets(db, secretBox));
  let keyRing: KeyRing;
  try {
    keyRing = await openKeyRing(database.store, { secretBox, configuredKeys: keys, keyFile: keyFileFor(source === 'environment', config.dataDir) });
  } catch (error) {
    await database.close();
    throw error;
  }
  const log = options.log ?? silentLog;
  const transport =
    options.mailer ??
    (config.smtpUrl === null ? createOutboxMailer(config.dataDir, config.mailFrom, log) : createSMTPMailer(config.smtpUrl, config.mailFrom));
  const auditLog = openAuditLog(config.auditLog);
  const onAudit =
    auditLog === null
      ? options.onAudit
      : (event: AuditEvent) => {
          auditLog.write(event);
          options.onAudit?.(event);
        };
  const translator = loadTranslator();
  const flows: FlowDeps = {
    store: database.store,
    clock: options.clock ?? systemClock,
    secretBox,
    settings: { issuer: config.issuer, publicUrl: config.publicUrl, sessionTtlMs: config.sessionTtlMs, trustedDeviceDays: config.trustedDeviceDays, limits: config.limits, relyingParty: createRelyingParty(config) },
    passwords: createAdmissionQueue(options.passwordHasher ?? createArgon2PasswordHasher(), { ...defaultAdmission(), ...options.admission }),
    notifier: options.notifier ?? createEmailNotifier(transport, config.issuer, log, translator),
    mailer: createMailer(transport, config.issuer, translator),
    translator,
    log,
    onAudit,
  };
  const close = async () => {
    await database.close();
    await auditLog?.close();
  };
  return { config, database, flows, masterKeySource: source, keyRing, close };
}
