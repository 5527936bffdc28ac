import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Authenticator,
  DESKTOP,
  PHONE,
  apiToken,
  callApi,
  checkA11y,
  createAccounts,
  logIn,
  logOut,
  openTab,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

// Issue 8 in the browser: a user who has an app adds a second one by its QR code (decoded by
// Debian's zbarimg from the screenshot), logs in with it, renames it and removes the first; the
// last one cannot be removed. At desktop and phone size.
describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const)('authenticators in Security Settings (%s)', (size, viewport) => {
  let harness: Harness;
  let tab: Tab;
  const username = `dana-${size}`;
  const password = 'dana-password-1';
  let oldPhone: Authenticator;
  let workPhone: Authenticator;

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(harness, { username, password, displayName: 'Dana' });
    // The first app, through the API as another client would (the first-time web flow has its own suites).
    const token = await apiToken(harness, username, password);
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', { name: 'Old phone' }, token);
    oldPhone = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await oldPhone.nextCode() }, token);
    tab = await openTab(harness, viewport);
  });

  afterAll(async () => {
    expect(tab?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  const list = () => tab.page.getByRole('region', { name: 'Authenticators' }).getByRole('listitem');

  async function confirmPassword(code: string): Promise<void> {
    const dialog = tab.page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(code);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('adds a second authenticator by its QR code, with a name', async () => {
    const { page } = tab;
    await page.goto('/');
    await logIn(page, username, password);
    await page.getByLabel('Authentication Code').fill(await oldPhone.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Welcome, Dana' }).waitFor();
    await page.goto('/account/security');
    await expect.poll(() => list().count()).toBe(1);
    await expect.poll(() => list().first().textContent()).toMatch(/Old phone.*Authenticator app.*Added .* · (not used yet|last used .*) · clock in time/);
    await checkA11y(page, `authenticators (${size})`);
    await screenshot(page, `authenticators-${size}-01-list`);

    await page.getByRole('button', { name: 'Add authenticator' }).click();
    await confirmPassword(await oldPhone.nextCode());
    await page.getByRole('button', { name: 'Authenticator app', exact: true }).click();
    const qr = page.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    await qr.evaluate((img: HTMLImageElement) => img.decode());
    // The phone's camera: Debian's zbarimg reads the code from the picture on screen.
    const picture = path.join(tmpdir(), `twofold-qr-${size}-${process.pid}.png`);
    writeFileSync(picture, await qr.screenshot());
    const uri = execFileSync('zbarimg', ['--quiet', '--raw', picture], { encoding: 'utf8' }).trim();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    workPhone = Authenticator.fromURI(uri);
    await page.getByLabel('Name', { exact: true }).fill('Work phone');
    await page.getByRole('link', { name: "Can't scan" }).waitFor();
    await checkA11y(page, `add authenticator (${size})`);
    await screenshot(page, `authenticators-${size}-02-add`);
    await page.getByRole('region', { name: 'Authenticators' }).getByLabel('Authentication Code').fill(await workPhone.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await expect.poll(() => list().count()).toBe(2);
    await expect.poll(() => list().nth(1).textContent()).toMatch(/Work phone.*Authenticator app/);
    // Adding an app keeps the recovery codes the user already has: none are shown.
    expect(await page.getByRole('button', { name: 'Download' }).count()).toBe(0);
    await screenshot(page, `authenticators-${size}-03-added`);
  });

  it('logs in with the new authenticator', async () => {
    const { page } = tab;
    await logOut(page, username);
    await logIn(page, username, password);
    await page.getByLabel('Authentication Code').fill(await workPhone.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Welcome, Dana' }).waitFor();
  });

  it('removes the first one through the Password window, renames the other, and refuses to remove the last', async () => {
    const { page } = tab;
    await page.goto('/account/security');
    await expect.poll(() => list().count()).toBe(2);
    await page.getByRole('button', { name: 'Remove Old phone' }).click();
    await confirmPassword(await workPhone.nextCode());
    await page.getByRole('region', { name: 'Authenticators' }).getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await expect.poll(() => list().count()).toBe(1);
    await expect.poll(() => list().first().textContent()).toMatch(/Work phone/);

    await page.getByRole('button', { name: 'Rename Work phone' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Tablet');
    await page.getByRole('region', { name: 'Authenticators' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => list().first().textContent()).toMatch(/Tablet/);

    await page.getByRole('button', { name: 'Remove Tablet' }).click();
    await page.getByRole('alert').filter({ hasText: 'This is your only authenticator. To stop using two-factor authentication, turn it off instead.' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await screenshot(page, `authenticators-${size}-04-last-one`);
    // The old phone no longer signs in: its next code is refused.
    const login = await callApi<{ challengeId: string }>(harness, 'POST', '/api/v1/auth/login', { username, password, client: 'desktop' });
    const refused = await fetch(`${harness.url}/api/v1/auth/login/second-factor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: login.challengeId, method: 'totp', code: await oldPhone.nextCode() }),
    });
    expect(refused.status).toBe(401);
  });
});
