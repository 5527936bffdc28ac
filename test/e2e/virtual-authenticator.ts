import type { CDPSession, Page } from 'playwright-core';

/**
 * Chromium's own WebAuthn stack with a virtual authenticator in place of a platform one, through
 * the DevTools protocol: navigator.credentials behaves as with a real passkey, only the key lives
 * in the browser process. `automaticPresenceSimulation` answers each prompt as if touched.
 */
export interface VirtualAuthenticator {
  id: string;
  cdp: CDPSession;
  /** The credentials the authenticator holds: id, whether discoverable, and its signature count. */
  credentials(): Promise<{ credentialId: string; isResidentCredential: boolean; signCount: number; rpId?: string }[]>;
  setUserVerified(verified: boolean): Promise<void>;
  /**
   * Whether prompts are answered as if touched. Off, a request waits: the passkey autofill of the
   * login page (conditional mediation) would otherwise log in the moment the page opens.
   */
  setPresence(enabled: boolean): Promise<void>;
  remove(): Promise<void>;
}

export interface VirtualAuthenticatorOptions {
  hasResidentKey?: boolean;
  hasUserVerification?: boolean;
  isUserVerified?: boolean;
  transport?: 'internal' | 'usb' | 'nfc' | 'ble' | 'hybrid';
}

export async function addVirtualAuthenticator(page: Page, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: options.transport ?? 'internal',
      hasResidentKey: options.hasResidentKey ?? true,
      hasUserVerification: options.hasUserVerification ?? true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async setUserVerified(verified: boolean) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
    async setPresence(enabled: boolean) {
      await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await cdp.detach();
    },
  };
}
