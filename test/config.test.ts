import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

// The only reader of the environment: defaults, and a clear message naming the setting.
describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      issuer: 'Twofold',
      masterKey: null,
      adminPassword: null,
      databaseUrl: null,
      databaseSchema: 'public',
      smtpUrl: null,
      trustProxyHops: 0,
      metricsToken: null,
      logLevel: 'info',
      publicUrl: 'http://localhost:8080',
      webauthnOrigins: [],
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.auditRetentionDays).toBe(365);
    expect(config.auditLog).toBeNull();
    expect(loadConfig({ TWOFOLD_AUDIT_RETENTION_DAYS: '36500', TWOFOLD_AUDIT_LOG: 'stdout' })).toMatchObject({ auditRetentionDays: 36500, auditLog: { kind: 'stdout' } });
    expect(loadConfig({ TWOFOLD_AUDIT_LOG: 'audit.jsonl' }).auditLog).toEqual({ kind: 'file', path: expect.stringMatching(/\/audit\.jsonl$/) });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads a master key as hex or base64, and nothing else', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ TWOFOLD_MASTER_KEY: hex }).masterKey?.toString('hex')).toBe(hex);
    expect(loadConfig({ TWOFOLD_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') }).masterKey?.toString('hex')).toBe(hex);
    expect(() => loadConfig({ TWOFOLD_MASTER_KEY: 'short' })).toThrow(/TWOFOLD_MASTER_KEY/);
  });

  it.each([
    [{ TWOFOLD_PORT: 'eighty' }, /TWOFOLD_PORT must be a whole number/],
    [{ TWOFOLD_AUDIT_RETENTION_DAYS: '0' }, /TWOFOLD_AUDIT_RETENTION_DAYS must be between 1 and 36500/],
    [{ TWOFOLD_AUDIT_RETENTION_DAYS: '36501' }, /TWOFOLD_AUDIT_RETENTION_DAYS must be between 1 and 36500/],
    [{ TWOFOLD_AUDIT_RETENTION_DAYS: '30.5' }, /TWOFOLD_AUDIT_RETENTION_DAYS must be a whole number/],
    [{ TWOFOLD_AUDIT_RETENTION_DAYS: '-1' }, /TWOFOLD_AUDIT_RETENTION_DAYS must be a whole number/],
    [{ TWOFOLD_PORT: '70000' }, /TWOFOLD_PORT must be between 0 and 65535/],
    [{ TWOFOLD_HOST: 'not a host' }, /TWOFOLD_HOST must be an IP address or host name/],
    [{ TWOFOLD_ISSUER: '' }, /TWOFOLD_ISSUER must be 1 to 64 characters/],
    [{ TWOFOLD_ISSUER: 'Two\r\nfold' }, /TWOFOLD_ISSUER must not contain control characters/],
    [{ TWOFOLD_DATABASE_URL: 'mysql://x' }, /TWOFOLD_DATABASE_URL must start with postgres:\/\//],
    [{ TWOFOLD_DATABASE_SCHEMA: 'Bad-Name' }, /TWOFOLD_DATABASE_SCHEMA must be a lower-case SQL identifier/],
    [{ TWOFOLD_SMTP_URL: 'http://mail' }, /TWOFOLD_SMTP_URL must start with smtp:\/\/ or smtps:\/\//],
    [{ TWOFOLD_SMTP_URL: 'smtp:/mail' }, /TWOFOLD_SMTP_URL must name the mail server/],
    [{ TWOFOLD_SMTP_URL: 'smtp://mail.example.com' }, /TWOFOLD_MAIL_FROM is required with TWOFOLD_SMTP_URL/],
    [{ TWOFOLD_MAIL_FROM: 'not an address' }, /TWOFOLD_MAIL_FROM must be an address/],
    [{ TWOFOLD_METRICS_TOKEN: 'short' }, /TWOFOLD_METRICS_TOKEN must be at least 16/],
    [{ TWOFOLD_LOG_LEVEL: 'loud' }, /TWOFOLD_LOG_LEVEL must be one of/],
    [{ TWOFOLD_PUBLIC_URL: 'twofold.example.com' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ TWOFOLD_PUBLIC_URL: 'ftp://twofold.example.com' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ TWOFOLD_PUBLIC_URL: 'https://example.com/twofold' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL without a path/],
    [{ TWOFOLD_PUBLIC_URL: 'https://example.com/?a=1' }, /TWOFOLD_PUBLIC_URL/],
    [{ TWOFOLD_PUBLIC_URL: 'https://user:pw@example.com' }, /TWOFOLD_PUBLIC_URL/],
    [{ TWOFOLD_TRUST_PROXY_HOPS: '-1' }, /TWOFOLD_TRUST_PROXY_HOPS must be a whole number/],
    [{ TWOFOLD_PUBLIC_URL: 'uc.example.com' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL without a path/],
    [{ TWOFOLD_PUBLIC_URL: 'ftp://uc.example.com' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ TWOFOLD_PUBLIC_URL: 'https://uc.example.com/twofold' }, /TWOFOLD_PUBLIC_URL must be an absolute http\(s\) URL without a path/],
    [{ TWOFOLD_PUBLIC_URL: 'https://uc.example.com/?x=1' }, /TWOFOLD_PUBLIC_URL/],
    [{ TWOFOLD_PUBLIC_URL: 'https://user:pw@uc.example.com' }, /TWOFOLD_PUBLIC_URL/],
    [{ TWOFOLD_PUBLIC_URL: 'https://uc.example.com/.' }, /TWOFOLD_PUBLIC_URL/],
    [{ TWOFOLD_WEBAUTHN_ORIGINS: 'android:apk-key-hash:short' }, /TWOFOLD_WEBAUTHN_ORIGINS must be comma-separated/],
    [{ TWOFOLD_WEBAUTHN_ORIGINS: 'https://a.example.com/path' }, /TWOFOLD_WEBAUTHN_ORIGINS .*got "https:\/\/a.example.com\/path"/],
    [{ TWOFOLD_WEBAUTHN_ORIGINS: 'ios:bundle-id:com.example' }, /TWOFOLD_WEBAUTHN_ORIGINS/],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes the public URL as its origin, defaulting to localhost at the configured port', () => {
    expect(loadConfig({ TWOFOLD_PORT: '9090' }).publicUrl).toBe('http://localhost:9090');
    expect(loadConfig({ TWOFOLD_PUBLIC_URL: 'https://Twofold.Example.com/' }).publicUrl).toBe('https://twofold.example.com');
    expect(loadConfig({ TWOFOLD_PUBLIC_URL: 'http://10.0.0.5:8443' }).publicUrl).toBe('http://10.0.0.5:8443');
  });

  it('accepts SMTP with a sender, and leaves a short admin password to be judged when used', () => {
    const config = loadConfig({ TWOFOLD_SMTP_URL: 'smtp://mail.example.com:587', TWOFOLD_MAIL_FROM: 'Twofold <no-reply@example.com>', TWOFOLD_ADMIN_PASSWORD: 'short' });
    expect(config.mailFrom).toBe('Twofold <no-reply@example.com>');
    expect(config.adminPassword).toBe('short');
  });

  it('takes the public URL as an origin and the extra WebAuthn origins as a list', () => {
    const apk = `android:apk-key-hash:${'A'.repeat(42)}Q`;
    const config = loadConfig({
      TWOFOLD_PORT: '9000',
      TWOFOLD_PUBLIC_URL: 'HTTPS://UC.Example.com:443/',
      TWOFOLD_WEBAUTHN_ORIGINS: ` ${apk} , https://desktop.example.com:8443 ,`,
    });
    expect(config.publicUrl).toBe('https://uc.example.com');
    expect(config.webauthnOrigins).toEqual([apk, 'https://desktop.example.com:8443']);
    expect(Object.isFrozen(config.webauthnOrigins)).toBe(true);
    // Unset, the default follows the port.
    expect(loadConfig({ TWOFOLD_PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
  });
});
