import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
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
import type { Page } from 'playwright-core';

// Issue 12 in Chromium: an administrator enforces two-factor; a user without it is taken through
// the setup at login; an administrator issues a recovery code and the user sets up a new app.
describe('Require two-factor and recovery in Chromium', () => {
  let harness: Harness;
  const tabs: Tab[] = [];
  let adminPhone: Authenticator;
  let ivyPhone: Authenticator;

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(
      harness,
      { username: 'ivy', password: 'ivy-password-1', displayName: 'Ivy' },
      { username: 'jack', password: 'jack-password-1', displayName: 'Jack' },
    );
  });
  afterAll(async () => {
    for (const tab of tabs) expect(tab.cspErrors).toEqual([]);
    await harness?.stop();
  });

  const confirmPassword = async (page: Page, password: string, phone?: Authenticator): Promise<void> => {
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    if (phone) await dialog.getByLabel('Authentication Code').fill(await phone.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
  };

  /** The setup form of the login: app chosen, key revealed, the code of a new "phone" saved; returns that phone. */
  const setUpApp = async (page: Page, shot: string, options: { trust?: boolean } = {}): Promise<Authenticator> => {
    await page.getByRole('heading', { name: 'Set Up Two-Factor Authentication' }).waitFor();
    await page.getByLabel('Authenticated by Authenticator').check();
    // The setup ends the login, so it offers what the code step offers.
    if (options.trust === true) await page.getByLabel('Trust this device for 180 days').check();
    await page.getByRole('link', { name: "Can't scan" }).click();
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');
    const phone = new Authenticator(secret);
    await checkA11y(page, `required setup (${shot})`);
    await screenshot(page, shot);
    await page.getByLabel('Authentication Code').fill(await phone.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'I have saved them' }).click();
    return phone;
  };

  it('an administrator without two-factor is refused; with it, they enforce two-factor for all users', async () => {
    const admin = await openTab(harness, DESKTOP);
    tabs.push(admin);
    const { page } = admin;
    await page.goto('/admin');
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/admin');
    await page.getByRole('link', { name: 'Enforce Two-factor Authentication' }).click();
    await page.waitForURL('**/admin/two-factor');
    const section = page.getByRole('region', { name: 'Enforce Two-factor Authentication' });
    await section.getByLabel('All users').check();
    await section.getByRole('button', { name: 'Save' }).click();
    // Said at once, without asking for a password that could not help; the form shows the policy in force.
    await section.getByText('Set up two-factor authentication for your own account first.').waitFor();
    expect(await page.getByRole('dialog', { name: 'Password' }).count()).toBe(0);
    expect(await section.getByLabel('Off').isChecked()).toBe(true);
    await screenshot(page, 'policy-01-refused-for-admin-without-2fa');

    // The administrator turns on an app (through the API, as another suite's user would in Security Settings).
    const token = await apiToken(harness, 'admin', ADMIN_PASSWORD);
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password: ADMIN_PASSWORD }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    adminPhone = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await adminPhone.nextCode() }, token);

    await page.reload();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByLabel('Authentication Code').fill(await adminPhone.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL('**/admin/two-factor');
    await section.getByLabel('All users').check();
    await section.getByRole('textbox', { name: 'Grace period' }).fill('0');
    await section.getByRole('button', { name: 'Save' }).click();
    await confirmPassword(page, ADMIN_PASSWORD, adminPhone);
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    // Adoption: one of three accounts has it; ivy and jack are overdue (no grace).
    await section.getByText('1 of 3 accounts have two-factor authentication.').waitFor();
    await section.getByLabel('Show').selectOption('overdue');
    const table = section.getByTestId('adoption-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    await table.getByRole('rowheader', { name: 'ivy' }).waitFor();
    await checkA11y(page, 'administration with the policy');
    await screenshot(page, 'policy-02-enforced-with-adoption');
  });

  it('a user without two-factor is taken through the setup at login, then lands on the home screen', async () => {
    const user = await openTab(harness, PHONE);
    tabs.push(user);
    const { page } = user;
    await page.goto('/');
    await logIn(page, 'ivy', 'ivy-password-1');
    ivyPhone = await setUpApp(page, 'policy-03-required-setup-phone', { trust: true });
    await page.getByRole('heading', { name: 'Welcome, Ivy' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await screenshot(page, 'policy-04-home-after-setup');
    // Another client's next login asks for the code; this phone, trusted at the setup, does not.
    const answer = await callApi<{ status: string }>(harness, 'POST', '/api/v1/auth/login', { username: 'ivy', password: 'ivy-password-1', client: 'desktop' });
    expect(answer.status).toBe('second_factor_required');
    await logOut(page, 'ivy');
    await logIn(page, 'ivy', 'ivy-password-1');
    await page.getByRole('heading', { name: 'Welcome, Ivy' }).waitFor();
  });

  it('within a grace period the user signs in and sees "Set up now" on every screen', async () => {
    const token = await apiToken(harness, 'admin', ADMIN_PASSWORD).catch(() => null);
    expect(token).toBeNull();
    const admin = tabs[0]!.page;
    const section = admin.getByRole('region', { name: 'Enforce Two-factor Authentication' });
    await section.getByRole('textbox', { name: 'Grace period' }).fill('7');
    await section.getByRole('button', { name: 'Save' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Password' });
    if (await dialog.isVisible().catch(() => false)) await confirmPassword(admin, ADMIN_PASSWORD, adminPhone);
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();

    const tab = await openTab(harness, DESKTOP);
    tabs.push(tab);
    const { page } = tab;
    await page.goto('/');
    await logIn(page, 'jack', 'jack-password-1');
    await page.getByRole('heading', { name: 'Welcome, Jack' }).waitFor();
    const banner = page.getByRole('status').filter({ hasText: 'Your administrator requires two-factor authentication.' });
    await banner.waitFor();
    await screenshot(page, 'policy-05-grace-banner');
    await page.goto('/account/password');
    await banner.waitFor();
    await banner.getByRole('link', { name: 'Set up now' }).click();
    await page.waitForURL('**/account/security');
    await checkA11y(page, 'security settings with the grace banner');
  });

  it('an administrator issues a recovery code; the user signs in with it and sets up a new app', async () => {
    const admin = tabs[0]!.page;
    await admin.getByRole('link', { name: 'Accounts' }).click();
    await admin.waitForURL('**/admin');
    await admin.getByRole('button', { name: 'Issue a recovery code for ivy' }).click();
    const passwordDialog = admin.getByRole('dialog', { name: 'Password' });
    await passwordDialog.waitFor({ timeout: 3_000 }).then(
      () => confirmPassword(admin, ADMIN_PASSWORD, adminPhone),
      () => undefined,
    );
    const shown = admin.getByRole('dialog', { name: 'Recovery code for ivy' });
    const code = (await shown.getByTestId('recovery-code').textContent())!;
    expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    await checkA11y(admin, 'recovery code issued');
    await screenshot(admin, 'policy-06-recovery-code-issued');
    await shown.getByRole('button', { name: 'Done' }).click();

    const tab = await openTab(harness, DESKTOP);
    tabs.push(tab);
    const { page } = tab;
    await page.goto('/');
    await logIn(page, 'ivy', 'ivy-password-1');
    await page.getByRole('button', { name: 'I have a code from my administrator' }).click();
    await page.getByLabel('Code from your administrator').fill(code);
    await screenshot(page, 'policy-07-administrator-code-step');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('your old authenticators and recovery codes stop working').waitFor();
    const newPhone = await setUpApp(page, 'policy-08-recovery-setup');
    await page.getByRole('heading', { name: 'Welcome, Ivy' }).waitFor();
    await screenshot(page, 'policy-09-recovered-home');

    // The old phone no longer signs in; the new one does.
    const challenge = await callApi<{ challengeId: string }>(harness, 'POST', '/api/v1/auth/login', { username: 'ivy', password: 'ivy-password-1', client: 'desktop' });
    const old = await fetch(`${harness.url}/api/v1/auth/login/second-factor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: challenge.challengeId, method: 'totp', code: await ivyPhone.nextCode() }),
    });
    expect(old.status).toBe(401);
    const again = await callApi<{ challengeId: string }>(harness, 'POST', '/api/v1/auth/login', { username: 'ivy', password: 'ivy-password-1', client: 'desktop' });
    const ok = await callApi<{ status: string }>(harness, 'POST', '/api/v1/auth/login/second-factor', { challengeId: again.challengeId, method: 'totp', code: await newPhone.nextCode() });
    expect(ok.status).toBe('ok');
  });
});
