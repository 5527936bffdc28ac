import { TOTP_DEFAULTS } from './totp.ts';

export interface TOTPKeyURIOptions {
  issuer: string;
  accountName: string;
  secret: string;
}

/**
 * Builds the Key URI authenticator apps scan (Google Authenticator "Key Uri Format").
 * Issuer and account name are percent-encoded separately, so a `:`, `&`, `?` or space in either
 * stays data and cannot add or change a parameter.
 */
export function createTOTPKeyURI(options: TOTPKeyURIOptions): string {
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.accountName)}`;
  const parameters = [
    `secret=${options.secret}`,
    `issuer=${encodeURIComponent(options.issuer)}`,
    `algorithm=${TOTP_DEFAULTS.algorithm}`,
    `digits=${TOTP_DEFAULTS.digits}`,
    `period=${TOTP_DEFAULTS.period}`,
  ];
  return `otpauth://totp/${label}?${parameters.join('&')}`;
}
