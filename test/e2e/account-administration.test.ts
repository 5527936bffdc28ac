import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DESKTOP,
  PHONE,
  apiToken,
  callApi,
  SCREENSHOT_DIR,
  checkA11y,
  createAccounts,
  expectInside,
  logIn,
  openTab,
  readMailedCode,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

/** The newest password reset link mailed to `address` (the outbox holds .eml files; the text may be quoted-printable). */
async function readResetLink(harness: Harness, address: string): Promise<string> {
  const outbox = path.join(harness.dataDir, 'outbox');
  for (const file of (await readdir(outbox)).filter((f) => f.endsWith('.eml')).sort().reverse()) {
    const mail = await simpleParser(await readFile(path.join(outbox, file)));
    const to = JSON.stringify(mail.to ?? '');
    const link = /https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
    if (to.includes(address) && link) return link;
  }
  throw new Error(`no reset link mailed to ${address}`);
}

describe('account administration and Forgot password in Chromium', () => {
  let harness: Harness;
  const tabs: Tab[] = [];

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(harness, { username: 'gina', password: 'gina-password-1', displayName: 'Gina' }, { username: 'hank', password: 'hank-password-1', email: 'hank@example.com' });
  });
  afterAll(async () => {
    for (const tab of tabs) expect(tab.cspErrors).toEqual([]);
    await harness?.stop();
  });

  it('an administrator edits, disables and enables an account and resets its password; the user chooses a new one at login', async () => {
    const admin = await openTab(harness, DESKTOP);
    tabs.push(admin);
    const { page } = admin;
    await page.goto('/admin');
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/admin');
    const row = page.getByRole('row', { name: /gina/ });

    // Edit: name and address. The first change opens the Password window.
    await row.getByRole('button', { name: 'Edit gina' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit gina' });
    await edit.getByLabel('Display Name').fill('Gina Torres');
    await edit.getByLabel('Email').fill('gina@example.com');
    await checkA11y(page, 'edit account dialog');
    await screenshot(page, 'admin-accounts-01-edit-dialog');
    await edit.getByRole('button', { name: 'Save' }).click();
    const password = page.getByRole('dialog', { name: 'Password' });
    await password.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await password.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await row.getByText('Gina Torres').waitFor();
    await row.getByText('gina@example.com').waitFor();

    // Disable: the row says so, and gina's password no longer logs in.
    const ginaToken = await apiToken(harness, 'gina', 'gina-password-1');
    await row.getByRole('button', { name: 'Edit gina' }).click();
    await edit.getByLabel('Account disabled').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await checkA11y(page, 'administration with a disabled account');
    await screenshot(page, 'admin-accounts-02-disabled');
    const refused = await fetch(`${harness.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'gina', password: 'gina-password-1', client: 'desktop' }),
    });
    expect(refused.status).toBe(401);
    expect((await fetch(`${harness.url}/api/v1/me`, { headers: { authorization: `Bearer ${ginaToken}` } })).status).toBe(401);

    await page.setViewportSize(PHONE);
    await checkA11y(page, 'administration with a disabled account (phone width)');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'admin-accounts-03-disabled-phone-width');
    // The dialog fits a phone too.
    await row.getByRole('button', { name: 'Edit gina' }).click();
    await expectInside(edit.getByRole('button', { name: 'Delete Account' }), edit, 'Delete Account in the dialog (phone width)');
    await checkA11y(page, 'edit account dialog (phone width)');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/admin-accounts-03b-edit-dialog-phone.png` });
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await page.setViewportSize(DESKTOP);

    await row.getByRole('button', { name: 'Edit gina' }).click();
    await edit.getByLabel('Account disabled').uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.getByText('Disabled', { exact: true }).count()).toBe(0);

    // Reset Password: generated, shown once.
    await row.getByRole('button', { name: 'Edit gina' }).click();
    await edit.getByRole('button', { name: 'Reset Password' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset Password' });
    await checkA11y(page, 'reset password dialog');
    await screenshot(page, 'admin-accounts-04-reset-dialog');
    await reset.getByRole('button', { name: 'Reset Password' }).click();
    const shown = page.getByRole('dialog', { name: 'New password for gina' });
    const generated = (await shown.getByTestId('new-password').textContent())?.trim() ?? '';
    expect(generated).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await checkA11y(page, 'new password shown');
    await screenshot(page, 'admin-accounts-05-new-password');
    await shown.getByRole('button', { name: 'Done' }).click();
    await row.getByText('Must change password at next login').waitFor();

    // gina, on her phone: the administrator's password leads to "Choose a New Password".
    const user = await openTab(harness, PHONE);
    tabs.push(user);
    await user.page.goto('/');
    await logIn(user.page, 'gina', generated);
    await user.page.getByRole('heading', { name: 'Choose a New Password' }).waitFor();
    await user.page.getByLabel('New Password', { exact: true }).fill('password123');
    await user.page.getByLabel('Confirm New Password').fill('password123');
    await user.page.getByRole('button', { name: 'Save and Continue' }).click();
    await user.page.getByRole('alert').filter({ hasText: 'commonly used or breached' }).waitFor();
    await checkA11y(user.page, 'choose a new password (refused)');
    await screenshot(user.page, 'admin-accounts-06-choose-new-password-phone');
    await user.page.getByLabel('New Password', { exact: true }).fill('gina-own-password-2');
    await user.page.getByLabel('Confirm New Password').fill('gina-own-password-2');
    await user.page.getByRole('button', { name: 'Save and Continue' }).click();
    await user.page.getByRole('heading', { name: 'Welcome, Gina Torres' }).waitFor();
    expect(await user.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(user.page, 'admin-accounts-07-logged-in-phone');
    await page.reload();
    await page.getByRole('row', { name: /gina/ }).waitFor();
    expect(await row.getByText('Must change password at next login').count()).toBe(0);
  }, 120_000);

  it('Forgot password: the mailed link sets a new password once', async () => {
    // hank proves his address first (only verified addresses get reset links).
    const token = await apiToken(harness, 'hank', 'hank-password-1');
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password: 'hank-password-1' }, token);
    await callApi(harness, 'PUT', '/api/v1/me/email', { email: 'hank@example.com' }, token);
    await callApi(harness, 'POST', '/api/v1/me/email/verify', { code: await readMailedCode(harness, 'hank@example.com') }, token);

    const tab = await openTab(harness, DESKTOP);
    tabs.push(tab);
    const { page } = tab;
    await page.goto('/login');
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot Password' }).waitFor();
    await page.getByLabel('Username').fill('hank');
    await checkA11y(page, 'forgot password');
    await screenshot(page, 'forgot-password-01-form');
    await page.getByRole('button', { name: 'Send Link' }).click();
    await page.getByRole('status').filter({ hasText: 'a link to reset the password is on its way' }).waitFor();
    await screenshot(page, 'forgot-password-02-sent');

    let link = '';
    await expect.poll(async () => (link = await readResetLink(harness, 'hank@example.com').catch(() => '')), { timeout: 10_000 }).not.toBe('');
    const { pathname, search } = new URL(link);
    await page.setViewportSize(PHONE);
    await page.goto(`${pathname}${search}`);
    await page.getByRole('heading', { name: 'Reset Password' }).waitFor();
    // The token does not stay in the address bar.
    expect(new URL(page.url()).search).toBe('');
    await page.getByLabel('New Password', { exact: true }).fill('hank-new-password-2');
    await page.getByLabel('Confirm New Password').fill('hank-new-password-2');
    await checkA11y(page, 'reset password (phone width)');
    await screenshot(page, 'forgot-password-03-reset-phone');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password was changed.' }).waitFor();
    await screenshot(page, 'forgot-password-04-done-phone');
    await page.getByRole('link', { name: 'Log In' }).click();
    await page.getByRole('heading', { name: 'Log In' }).waitFor();
    await logIn(page, 'hank', 'hank-new-password-2');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    // The link worked once.
    await page.goto(`${pathname}${search}`);
    await page.getByLabel('New Password', { exact: true }).fill('hank-third-password-3');
    await page.getByLabel('Confirm New Password').fill('hank-third-password-3');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'expired or was already used' }).waitFor();
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'forgot-password-05-link-used');
  }, 120_000);
});
