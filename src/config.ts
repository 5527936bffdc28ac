import path from 'node:path';

/** Everything the service reads from its environment, parsed and validated once at start-up. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  issuer: string;
  /** 32-byte key from TWOFOLD_MASTER_KEY, or null to use (or create) `<dataDir>/master.key`. */
  masterKey: Buffer | null;
  /** Only read when the database has no accounts yet. */
  adminPassword: string | null;
  /** postgres:// URL; null selects the embedded SQLite file in the data folder. */
  databaseUrl: string | null;
  /** PostgreSQL schema holding the tables (lets several deployments or test runs share a database). */
  databaseSchema: string;
  databasePoolSize: number;
  smtpUrl: string | null;
  mailFrom: string;
  /** Trust X-Forwarded-For from this many proxy hops (0: use the socket address). */
  trustProxyHops: number;
  sessionTtlMs: number;
  /** How long "Trust this device" skips the second step (TWOFOLD_TRUSTED_DEVICE_DAYS); 0 turns the option off. */
  trustedDeviceDays: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * The address users reach the service at, as an origin without a trailing slash
   * (`https://uc.example.com`): links in mails, and the WebAuthn relying party (its host is the
   * RP ID, the origin itself is the expected origin of the web client).
   */
  publicUrl: string;
  /** Further origins WebAuthn assertions may come from: native apps (`android:apk-key-hash:...`) or other web origins. */
  webauthnOrigins: readonly string[];
  limits: LimitsConfig;
  /** Audit events older than this many days are deleted by the periodic sweep. */
  auditRetentionDays: number;
  /** Where every audit event is also streamed as a JSON line (for a SIEM): stdout, a file, or nowhere. */
  auditLog: { kind: 'stdout' } | { kind: 'file'; path: string } | null;
}

export interface LimitsConfig {
  /** Wrong codes one login challenge tolerates before it is void. */
  challengeMaxAttempts: number;
  challengeTtlMs: number;
  /** Failed second-factor attempts per account in `secondFactorWindowMs` before a lock. */
  secondFactorMaxFailures: number;
  secondFactorWindowMs: number;
  /** First lock; each further lock doubles it, up to `maxLockMs`. */
  secondFactorLockMs: number;
  maxLockMs: number;
  passwordMaxFailuresPerUsername: number;
  passwordMaxFailuresPerIp: number;
  passwordWindowMs: number;
  passwordLockMs: number;
  reauthTtlMs: number;
  pendingSecretTtlMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MINUTE = 60_000;

type Env = Record<string, string | undefined>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readMasterKey(raw: string | undefined): Buffer | null {
  if (raw === undefined || raw === '') return null;
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  const decoded = Buffer.from(raw, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) return decoded;
  throw new ConfigError('TWOFOLD_MASTER_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)');
}

function readDatabaseUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('TWOFOLD_DATABASE_URL must be a URL such as postgres://user@host:5432/twofold');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`TWOFOLD_DATABASE_URL must start with postgres://, got ${url.protocol}//`);
  }
  return raw;
}

function readSmtpUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('TWOFOLD_SMTP_URL must be a URL such as smtp://user:pass@mail.example.com:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(`TWOFOLD_SMTP_URL must start with smtp:// or smtps://, got ${url.protocol}//`);
  }
  if (url.hostname === '') throw new ConfigError('TWOFOLD_SMTP_URL must name the mail server, e.g. smtp://mail.example.com:587');
  return raw;
}

function readMailFrom(raw: string | undefined, issuer: string, smtpUrl: string | null): string {
  if (raw === undefined || raw === '') {
    // A real relay would reject (or DMARC would bin) a made-up sender, failing every code mail.
    if (smtpUrl !== null) throw new ConfigError('TWOFOLD_MAIL_FROM is required with TWOFOLD_SMTP_URL, e.g. "Twofold <no-reply@example.com>"');
    return `"${issuer}" <no-reply@localhost>`;
  }
  const bare = /^[^\s<>@]+@[^\s<>@]+$/;
  const named = /^[^<>]*<[^\s<>@]+@[^\s<>@]+>$/;
  if (!bare.test(raw) && !named.test(raw)) {
    throw new ConfigError('TWOFOLD_MAIL_FROM must be an address or "Name <address>"');
  }
  return raw;
}

function readMetricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw)) throw new ConfigError('TWOFOLD_METRICS_TOKEN must be at least 16 printable characters without spaces');
  return raw;
}

function readPublicUrl(raw: string | undefined, port: number): string {
  if (raw === undefined || raw === '') return `http://localhost:${port}`;
  const origin = parseHTTPOrigin(raw);
  if (origin === null) {
    throw new ConfigError(`TWOFOLD_PUBLIC_URL must be an absolute http(s) URL without a path, such as https://uc.example.com, got "${raw}"`);
  }
  return origin;
}

/** `https://host[:port]` (an optional trailing slash) as its normalised origin, else null. */
function parseHTTPOrigin(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return null;
  // `new URL` also accepts "https://a.com/." and "https://a.com?"; only an optional "/" may follow the host.
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(raw)) return null;
  return url.origin;
}

// An Android app's origin is the SHA-256 of its signing certificate: 32 bytes, base64url without padding.
const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/;

function readWebAuthnOrigins(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return Object.freeze([]);
  const origins = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return Object.freeze(
    origins.map((item) => {
      if (ANDROID_ORIGIN.test(item)) return item;
      const origin = parseHTTPOrigin(item);
      if (origin === null) {
        throw new ConfigError(
          `TWOFOLD_WEBAUTHN_ORIGINS must be comma-separated http(s) origins or android:apk-key-hash:<43 base64url characters>, got "${item}"`,
        );
      }
      return origin;
    }),
  );
}

function readAuditLog(raw: string | undefined): Config['auditLog'] {
  if (raw === undefined || raw === '') return null;
  if (raw === 'stdout') return { kind: 'stdout' };
  if (/\p{Cc}/u.test(raw)) throw new ConfigError('TWOFOLD_AUDIT_LOG must be "stdout" or a file path');
  return { kind: 'file', path: path.resolve(raw) };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The only reader of process.env. Throws ConfigError with a message meant for the operator. */
export function loadConfig(env: Env = process.env): Config {
  const issuer = env.TWOFOLD_ISSUER ?? 'Twofold';
  if (issuer.trim() === '' || issuer.length > 64) throw new ConfigError('TWOFOLD_ISSUER must be 1 to 64 characters');
  if (/\p{Cc}/u.test(issuer)) throw new ConfigError('TWOFOLD_ISSUER must not contain control characters');
  const host = env.TWOFOLD_HOST ?? '127.0.0.1';
  if (!/^(?:[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+)$/.test(host)) {
    throw new ConfigError(`TWOFOLD_HOST must be an IP address or host name, got "${host}"`);
  }
  const schema = env.TWOFOLD_DATABASE_SCHEMA ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('TWOFOLD_DATABASE_SCHEMA must be a lower-case SQL identifier');
  }
  const logLevel = env.TWOFOLD_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`TWOFOLD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  // Its strength is checked when it is used (first start only), so a stale value never blocks the CLI.
  const adminPassword = env.TWOFOLD_ADMIN_PASSWORD === '' ? null : (env.TWOFOLD_ADMIN_PASSWORD ?? null);

  const port = readInteger(env, 'TWOFOLD_PORT', 8080, 0, 65_535);

  return Object.freeze({
    host,
    port,
    dataDir: path.resolve(env.TWOFOLD_DATA_DIR ?? './data'),
    issuer,
    masterKey: readMasterKey(env.TWOFOLD_MASTER_KEY),
    adminPassword,
    databaseUrl: readDatabaseUrl(env.TWOFOLD_DATABASE_URL),
    databaseSchema: schema,
    databasePoolSize: readInteger(env, 'TWOFOLD_DATABASE_POOL_SIZE', 10, 1, 200),
    smtpUrl: readSmtpUrl(env.TWOFOLD_SMTP_URL),
    mailFrom: readMailFrom(env.TWOFOLD_MAIL_FROM, issuer, readSmtpUrl(env.TWOFOLD_SMTP_URL)),
    trustProxyHops: readInteger(env, 'TWOFOLD_TRUST_PROXY_HOPS', 0, 0, 10),
    sessionTtlMs: readInteger(env, 'TWOFOLD_SESSION_TTL_HOURS', 168, 1, 24 * 365) * 60 * MINUTE,
    trustedDeviceDays: readInteger(env, 'TWOFOLD_TRUSTED_DEVICE_DAYS', 180, 0, 3650),
    metricsToken: readMetricsToken(env.TWOFOLD_METRICS_TOKEN),
    logLevel: logLevel as Config['logLevel'],
    publicUrl: readPublicUrl(env.TWOFOLD_PUBLIC_URL, port),
    webauthnOrigins: readWebAuthnOrigins(env.TWOFOLD_WEBAUTHN_ORIGINS),
    limits: Object.freeze(defaultLimits()),
    auditRetentionDays: readInteger(env, 'TWOFOLD_AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    auditLog: readAuditLog(env.TWOFOLD_AUDIT_LOG),
  });
}

export function defaultLimits(): LimitsConfig {
  return {
    challengeMaxAttempts: 5,
    challengeTtlMs: 5 * MINUTE,
    secondFactorMaxFailures: 10,
    secondFactorWindowMs: 15 * MINUTE,
    secondFactorLockMs: 15 * MINUTE,
    maxLockMs: 24 * 60 * MINUTE,
    passwordMaxFailuresPerUsername: 10,
    passwordMaxFailuresPerIp: 100,
    passwordWindowMs: 15 * MINUTE,
    passwordLockMs: 15 * MINUTE,
    reauthTtlMs: 5 * MINUTE,
    pendingSecretTtlMs: 30 * MINUTE,
  };
}
