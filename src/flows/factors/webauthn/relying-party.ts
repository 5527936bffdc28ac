/**
 * The WebAuthn relying party this service is: credentials are bound to `id` (the public host
 * name) and assertions are accepted only from `origins`.
 */
export interface RelyingParty {
  /** RP ID: the host of TWOFOLD_PUBLIC_URL, without port (WebAuthn §5.1.2 scopes it to a domain, not an origin). */
  id: string;
  /** Shown by some authenticators next to the credential. */
  name: string;
  /** TWOFOLD_PUBLIC_URL first, then TWOFOLD_WEBAUTHN_ORIGINS. */
  origins: readonly string[];
}

export function createRelyingParty(settings: { publicUrl: string; webauthnOrigins: readonly string[]; issuer: string }): RelyingParty {
  return Object.freeze({
    id: new URL(settings.publicUrl).hostname,
    name: settings.issuer,
    origins: Object.freeze([settings.publicUrl, ...settings.webauthnOrigins.filter((o) => o !== settings.publicUrl)]),
  });
}
