import { mkdtemp, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { expect } from 'vitest';
import * as OTPAuth from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { createTestClock } from '../support/clock.ts';

export const ADMIN_PASSWORD = 'admin-password-123';
export const SCREENSHOT_DIR = path.resolve('test-output/screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

const require = createRequire(import.meta.url);

/**
 * The server's clock in this test file: the real time plus an offset that only moves forward.
 * The in-process server reads it, and Authenticator takes its codes from it, so a test that
 * needs a fresh TOTP step moves the clock on instead of sleeping 30 s.
 */
export const serverClock = createTestClock();

export interface Harness {
  url: string;
  /** The server's data folder; without SMTP its mails land in `outbox/` as .eml files. */
  dataDir: string;
  browser: Browser;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the server must know its public URL before it listens). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * The real server on a free port with a fresh SQLite file, and one Chromium for the file.
 * `publicHost: 'localhost'` serves the browser at http://localhost:<port>, which is also the
 * public URL: WebAuthn needs a host name as RP ID (never an IP address) in a secure context.
 */
export async function startHarness(options: { publicHost?: 'localhost' } = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-e2e-'));
  const port = options.publicHost === undefined ? 0 : await freePort();
  const publicUrl = options.publicHost === undefined ? {} : { TWOFOLD_PUBLIC_URL: `http://${options.publicHost}:${port}` };
  const server = await startServer(
    loadConfig({ TWOFOLD_PORT: String(port), TWOFOLD_DATA_DIR: dataDir, TWOFOLD_ADMIN_PASSWORD: ADMIN_PASSWORD, TWOFOLD_LOG_LEVEL: 'silent', ...publicUrl }),
    { print: () => {}, clock: serverClock.clock },
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    url: options.publicHost === undefined ? server.url : server.services.config.publicUrl,
    dataDir,
    browser,
    async stop() {
      await browser.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console messages about blocked resources: the app must run under its CSP untouched. */
  cspErrors: string[];
  /** Every console error, with the address it is about (for a failed request, that request's). */
  consoleErrors: { text: string; url: string }[];
}

export async function openTab(harness: Harness, viewport: { width: number; height: number }): Promise<Tab> {
  const phone = viewport.width < 600;
  const context = await harness.browser.newContext({
    baseURL: harness.url,
    viewport,
    isMobile: phone,
    hasTouch: phone,
    deviceScaleFactor: 1,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const cspErrors: string[] = [];
  const consoleErrors: { text: string; url: string }[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    consoleErrors.push({ text: message.text(), url: message.location().url });
    if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  return { context, page, cspErrors, consoleErrors };
}

let axeSource: string | null = null;

/** axe-core on the current screen: no serious or critical violation. Evaluated, not injected, so the CSP stays on. */
export async function checkA11y(page: Page, screen: string): Promise<void> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // A toast fading in (160 ms) is judged at its final colours, not half-transparent: how soon
  // the check runs after it appeared depends on the machine, and must not decide the result.
  await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(axeSource);
  const violations = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as unknown[];
  expect(violations, `axe violations on ${screen}`).toEqual([]);
}

/** `inner` lies wholly inside `outer` on screen, and `outer` scrolls nothing sideways out of sight. */
export async function expectInside(inner: Locator, outer: Locator, what: string): Promise<void> {
  const [a, b] = await Promise.all([inner.boundingBox(), outer.boundingBox()]);
  expect(a, `${what}: no box`).not.toBeNull();
  expect(b, `${what}: no container box`).not.toBeNull();
  const box = a!;
  const container = b!;
  expect(box.x, `${what}: left edge`).toBeGreaterThanOrEqual(container.x);
  expect(box.y, `${what}: top edge`).toBeGreaterThanOrEqual(container.y);
  expect(box.x + box.width, `${what}: right edge`).toBeLessThanOrEqual(container.x + container.width);
  expect(box.y + box.height, `${what}: bottom edge`).toBeLessThanOrEqual(container.y + container.height);
  // A box inside the card can still be cut off by a scrolling part of it.
  // (A 1-px box is a visually-hidden label, there on purpose.)
  const hidden = await outer.evaluate((el) =>
    [el, ...el.querySelectorAll('*')].some(
      (node) => node.clientWidth > 1 && node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== 'visible',
    ),
  );
  expect(hidden, `${what}: something in the container scrolls or is clipped sideways`).toBe(false);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Calls the JSON API with a bearer token (a non-browser client: no cookie, so no CSRF header needed). */
export async function callApi<T>(harness: Harness, method: string, route: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${harness.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${JSON.stringify(data)}`);
  return data;
}

export async function apiToken(harness: Harness, username: string, password: string): Promise<string> {
  const result = await callApi<{ status: string; token: string }>(harness, 'POST', '/api/v1/auth/login', { username, password, client: 'desktop' });
  if (result.status !== 'ok') throw new Error(`${username} needs a second factor`);
  return result.token;
}

/**
 * An API token of an administrator whose Password window is open, as administrative writes need
 * (`POST /api/v1/me/reauth`, good for 5 minutes; `code` when that administrator has two-factor on).
 */
export async function adminToken(harness: Harness, username = 'admin', password = ADMIN_PASSWORD, code?: string): Promise<string> {
  const token = await apiToken(harness, username, password);
  await callApi(harness, 'POST', '/api/v1/me/reauth', code === undefined ? { password } : { password, code }, token);
  return token;
}

export interface NewAccount {
  username: string;
  password: string;
  displayName?: string;
  email?: string;
  role?: 'user' | 'admin';
}

/** Creates accounts through the API as the built-in administrator, Password window first. */
export async function createAccounts(harness: Harness, ...accounts: NewAccount[]): Promise<void> {
  const token = await adminToken(harness);
  for (const account of accounts) await callApi(harness, 'POST', '/api/v1/admin/users', account, token);
}

/**
 * Codes of one authenticator secret at the real time. The server accepts the previous, current
 * and next 30-second step but never a step at or below the last one used, so each code is taken
 * from the lowest step still usable; only when all three are spent does this wait for time to move.
 */
export class Authenticator {
  private readonly totp: OTPAuth.TOTP;
  private lastStep = -Infinity;

  constructor(secret: string) {
    this.totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret.replace(/\s/g, '')), algorithm: 'SHA1', digits: 6, period: 30 });
  }

  static fromURI(uri: string): Authenticator {
    const parsed = OTPAuth.URI.parse(uri);
    if (!(parsed instanceof OTPAuth.TOTP)) throw new Error('not a TOTP URI');
    return new Authenticator(parsed.secret.base32);
  }

  /** A code no valid step produces now, for the "wrong code" cases. */
  wrongCode(): string {
    const now = currentStep();
    const valid = new Set([-1, 0, 1].map((d) => this.codeAt(now + d)));
    for (let n = 0; ; n++) {
      const candidate = String((123_456 + n * 111_111) % 1_000_000).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
  }

  codeAt(step: number): string {
    return this.totp.generate({ timestamp: step * STEP_MS });
  }

  /** The code of the step used last (to show that a reused code is refused). */
  lastCode(): string {
    return this.codeAt(this.lastStep);
  }

  /**
   * The code of the server's current step, as a phone with a correct clock shows it. When this
   * app's current code was used already (or the step is about to end), the server's clock moves
   * on to the next step first: the test travels 30 s instead of waiting for them.
   */
  nextCode(): Promise<string> {
    const now = serverClock.clock();
    if (currentStep() <= this.lastStep || STEP_MS - (now % STEP_MS) < STEP_MARGIN_MS) {
      const target = Math.max(this.lastStep, currentStep()) + 1;
      serverClock.advance(target * STEP_MS + 100 - now);
    }
    this.lastStep = currentStep();
    return Promise.resolve(this.codeAt(this.lastStep));
  }
}

const STEP_MS = 30_000;
/** A code is handed out only with this much of its step left, so it is still current when it arrives. */
const STEP_MARGIN_MS = 8_000;

function currentStep(): number {
  return Math.floor(serverClock.clock() / STEP_MS);
}

const readMails = new Set<string>();

/** The code of the newest unread code mail to `address` in the server's outbox. */
export async function readMailedCode(harness: Harness, address: string): Promise<string> {
  const outbox = path.join(harness.dataDir, 'outbox');
  const files = (await readdir(outbox)).filter((f) => f.endsWith('.eml') && !readMails.has(path.join(outbox, f))).sort();
  for (const file of files.reverse()) {
    const mail = await simpleParser(await readFile(path.join(outbox, file)));
    const to = [mail.to ?? []].flat().map((a) => a.text).join(', ');
    if (!/^Your .+ authentication code$/.test(mail.subject ?? '')) continue;
    // The code is in the body only: a Subject shows on lock screens.
    expect(mail.subject).not.toMatch(/[0-9]{6}/);
    const code = /Your authentication code is ([0-9]{6})/.exec(mail.text ?? '')?.[1];
    if (code && to.includes(address)) {
      readMails.add(path.join(outbox, file));
      return code;
    }
  }
  throw new Error(`no unread code mail to ${address}`);
}

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log In', exact: true }).click();
}

export async function openAccountMenu(page: Page, username: string): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: username }).click();
  await page.getByRole('menu').waitFor();
}

/**
 * Account menu > Log Out, then waits for the Log In screen's notice: the form is ready only once
 * the app has settled on it (typing earlier can be lost to a re-render).
 */
export async function logOut(page: Page, username: string): Promise<void> {
  await openAccountMenu(page, username);
  await page.getByRole('menuitem', { name: 'Log Out' }).click();
  await page.waitForURL('**/login');
  await page.getByText('You have logged out.').waitFor();
}
