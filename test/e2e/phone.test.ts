import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  Authenticator,
  PHONE,
  apiToken,
  callApi,
  checkA11y,
  createAccounts,
  expectInside,
  logIn,
  logOut,
  openAccountMenu,
  openTab,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

// At 375x812 (a phone): bob scans the QR code (decoded from a screenshot), logs in with codes and
// turns two-factor off himself; carol runs into the expired-challenge and lockout messages and is
// let back in by an administrator.
// jsqr is CommonJS with an ES-style `default`: under NodeNext typing the default import is the module.
const jsQR = (jsQRModule as unknown as { default: typeof jsQRModule.default }).default;

describe('web client at phone size', () => {
  let harness: Harness;
  let bob: Tab;
  let authenticator: Authenticator;
  const password = 'bob-password-1';

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(
      harness,
      { username: 'bob', password, displayName: 'Bob', email: 'bob@example.com' },
      { username: 'carol', password: 'carol-password-1' },
    );
    bob = await openTab(harness, PHONE);
  });

  afterAll(async () => {
    expect(bob?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  it('turns two-factor on by scanning the QR code', async () => {
    const { page } = bob;
    await page.goto('/');
    await logIn(page, 'bob', password);
    await page.getByRole('heading', { name: 'Welcome, Bob' }).waitFor();
    await checkA11y(page, 'home (phone)');
    await screenshot(page, 'phone-01-home');

    await openAccountMenu(page, 'bob');
    await screenshot(page, 'phone-02-account-menu');
    await page.getByRole('menuitem', { name: 'Change Password & Security' }).click();
    await page.getByRole('tab', { name: 'Security Settings' }).click();
    await page.waitForURL('**/account/security');
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await screenshot(page, 'phone-03-password-dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('radio', { name: 'Authenticated by Authenticator' }).check();
    const qr = page.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    await qr.evaluate((img: HTMLImageElement) => img.decode());
    const png = PNG.sync.read(await qr.screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
    expect(decoded?.data).toMatch(/^otpauth:\/\/totp\//);

    // A phone cannot scan its own screen: the same key is offered as a link to the app.
    const addToApp = page.getByRole('link', { name: 'Add to authenticator app' });
    expect(await addToApp.isVisible()).toBe(true);
    expect(await addToApp.getAttribute('href')).toBe(decoded?.data);
    await checkA11y(page, 'authenticator setup (phone)');
    await screenshot(page, 'phone-04-qr-code');

    authenticator = Authenticator.fromURI(decoded!.data);
    await page.getByLabel('Authentication Code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await page.getByRole('button', { name: 'Download' }).waitFor();
    await screenshot(page, 'phone-05-edited-successfully');

    await page.reload();
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication', checked: true }).waitFor();
  });

  it('logs in with the code on the numeric keypad field', async () => {
    const { page } = bob;
    await logOut(page, 'bob');
    await logIn(page, 'bob', password);
    const code = page.getByLabel('Authentication Code');
    await code.waitFor();
    expect(await code.getAttribute('inputmode')).toBe('numeric');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await checkA11y(page, 'authentication code (phone)');
    await screenshot(page, 'phone-06-authentication-code');
    await code.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Welcome, Bob' }).waitFor();
  });

  it('turns two-factor off after the Password window asks for password and code', async () => {
    const { page } = bob;
    // A second session of bob's: the desktop client, logging in with a code as well.
    const login = await callApi<{ challengeId: string }>(harness, 'POST', '/api/v1/auth/login', { username: 'bob', password, client: 'desktop' });
    const desktop = await callApi<{ status: string; token: string }>(harness, 'POST', '/api/v1/auth/login/second-factor', {
      challengeId: login.challengeId,
      method: 'totp',
      code: await authenticator.nextCode(),
    });
    expect(desktop.status).toBe('ok');
    await page.goto('/account/security');
    const checkbox = page.getByRole('checkbox', { name: 'Two-Factor Authentication' });
    await checkbox.waitFor();
    expect(await checkbox.isChecked()).toBe(true);
    const sessions = page.getByRole('region', { name: 'Where you are logged in' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);
    await checkbox.click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(authenticator.wrongCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    await checkA11y(page, 'password dialog with code (phone)');
    await screenshot(page, 'phone-07-turn-off');

    await dialog.getByLabel('Authentication Code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    expect(await checkbox.isChecked()).toBe(false);
    // Turning two-factor off ended the desktop session, and the list shows that without a reload.
    await expect.poll(() => sessions.count()).toBe(1);
    await expect(callApi(harness, 'GET', '/api/v1/me', undefined, desktop.token)).rejects.toThrow(/answered 401/);
    await page.reload();
    await checkbox.waitFor();
    expect(await checkbox.isChecked()).toBe(false);
  });

  it('explains an expired sign-in and a lockout, and the administrator lets the user back in', async () => {
    // carol's authenticator is set up through the API, as a desktop client would.
    const token = await apiToken(harness, 'carol', 'carol-password-1');
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password: 'carol-password-1' }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    const carolApp = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await carolApp.nextCode() }, token);

    const carol = await openTab(harness, PHONE);
    const { page } = carol;
    await page.goto('/login');
    await logIn(page, 'carol', 'carol-password-1');
    const code = page.getByLabel('Authentication Code');
    const verify = async (): Promise<void> => {
      await code.fill(carolApp.wrongCode());
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login/second-factor'));
      await page.getByRole('button', { name: 'Verify' }).click();
      await answered;
    };
    // A login challenge takes five wrong codes; the sixth try finds it void and starts over.
    for (let i = 0; i < 5; i++) {
      await verify();
      await page.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    }
    await verify();
    await page.getByRole('alert').filter({ hasText: 'This sign-in has expired or was already used. Log in again.' }).waitFor();
    await page.getByRole('button', { name: 'Log In', exact: true }).waitFor();
    await screenshot(page, 'phone-08-sign-in-expired');

    // Ten wrong codes in all lock the account's second factor, and the message says for how long.
    await logIn(page, 'carol', 'carol-password-1');
    for (let i = 0; i < 4; i++) {
      await verify();
      await page.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    }
    await verify();
    await page.getByRole('alert').filter({ hasText: /Too many wrong codes\. Try again in \d+ minutes\./ }).waitFor();
    await checkA11y(page, 'lockout (phone)');
    await screenshot(page, 'phone-09-locked');

    // The help page's troubleshooting: the administrator disables two-factor for carol.
    const admin = await openTab(harness, PHONE);
    await admin.page.goto('/admin');
    await logIn(admin.page, 'admin', ADMIN_PASSWORD);
    const row = admin.page.getByRole('row', { name: /carol/ });
    await row.getByText(/^Code entry locked until \d{1,2}:\d{2}/).waitFor();
    // At 375 px the table is a list of cards, and the button still fits inside the Accounts card.
    const accounts = admin.page.getByRole('region', { name: 'Accounts' });
    await expectInside(row.getByRole('button', { name: 'Disable Two-Factor Authentication' }), accounts, 'Disable button (phone)');
    // The code lock also offers Unlock, which fits beside it.
    await expectInside(row.getByRole('button', { name: 'Unlock' }), accounts, 'Unlock button (phone)');
    expect(await admin.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await checkA11y(admin.page, 'administration (phone)');
    await screenshot(admin.page, 'phone-10-administration');
    await row.getByRole('button', { name: 'Disable Two-Factor Authentication' }).click();
    await admin.page.getByRole('dialog', { name: 'Disable Two-Factor Authentication' }).getByRole('button', { name: 'Disable' }).click();
    // The administrator just logged in: the Password window comes first, and the reset follows it.
    const password = admin.page.getByRole('dialog', { name: 'Password' });
    await password.getByLabel('Password', { exact: true }).fill('not-the-admin-password');
    await password.getByRole('button', { name: 'Confirm' }).click();
    await password.getByRole('alert').filter({ hasText: 'The password is incorrect.' }).waitFor();
    await row.getByText(/^Code entry locked until \d{1,2}:\d{2}/).waitFor();
    await checkA11y(admin.page, 'administration password dialog (phone)');
    await screenshot(admin.page, 'phone-11-administration-password');
    await password.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await password.getByRole('button', { name: 'Confirm' }).click();
    await admin.page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await row.getByText('Off').waitFor();
    expect(await row.getByText(/locked until/i).count()).toBe(0);

    await page.getByRole('button', { name: 'Back to Log In' }).click();
    await logIn(page, 'carol', 'carol-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await screenshot(page, 'phone-12-logged-in-without-code');
    await admin.context.close();
    await carol.context.close();
  });
});
