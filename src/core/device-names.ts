import type { ClientKind } from './types.ts';

// Ordered: Edge and Opera say "Chrome" too, and Chrome says "Safari".
const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrom(?:e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPad\b|\biOS\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

const CLIENT_LABELS: Record<ClientKind, string> = { web: 'Web browser', desktop: 'Desktop app', mobile: 'Mobile app' };

/**
 * What a device is called in the owner's list: the name the app sent, else a short
 * "Chrome on Linux" read from the User-Agent, else the kind of client. A label, never a secret.
 */
export function describeDevice(client: ClientKind, deviceName: string | null, userAgent: string | null): string {
  if (deviceName !== null && deviceName.trim() !== '') return deviceName.trim().slice(0, 100);
  if (userAgent !== null) {
    const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
    const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
    if (browser !== undefined && system !== undefined) return `${browser} on ${system}`;
    if (browser !== undefined || system !== undefined) return `${CLIENT_LABELS[client]} (${browser ?? system})`;
  }
  return CLIENT_LABELS[client];
}
