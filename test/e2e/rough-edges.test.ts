import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  Authenticator,
  apiToken,
  callApi,
  DESKTOP,
  PHONE,
  checkA11y,
  createAccounts,
  logIn,
  logOut,
  openAccountMenu,
  openTab,
  readMailedCode,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

// Issue 13's twelve rough edges, each as a person meets it in Chromium (1280x800 and 375x812).
describe('rough edges of the web client', () => {
  let harness: Harness;
  const tabs: Tab[] = [];
  const open = async (viewport: { width: number; height: number }): Promise<Tab> => {
    const tab = await openTab(harness, viewport);
    tabs.push(tab);
    return tab;
  };

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(
      harness,
      { username: 'paula', password: 'paula-password-1', email: 'paula@example.com' },
      { username: 'erin', password: 'erin-password-1', email: 'erin@example.com' },
      { username: 'lou', password: 'lou-password-1' },
      { username: 'nemo', password: 'nemo-password-1' },
      { username: 'tess', password: 'tess-password-1' },
      { username: 'rita', password: 'rita-password-1' },
      { username: 'ada', password: 'ada-password-1' },
    );
  });

  afterAll(async () => {
    expect(tabs.flatMap((tab) => tab.cspErrors)).toEqual([]);
    await harness?.stop();
  });

  const isFocused = (locator: Locator): Promise<boolean> => locator.evaluate((el) => el === document.activeElement);
  const expectFocused = async (locator: Locator): Promise<void> => {
    await expect.poll(() => isFocused(locator), { timeout: 2_000 }).toBe(true);
  };

  /** A real paste (clipboard, then Ctrl+V) into `field`, as a user copies a code from an app. */
  const paste = async (page: Page, field: Locator, text: string): Promise<void> => {
    await field.fill('');
    await field.focus();
    await page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await page.keyboard.press('Control+V');
  };

  /** The result message appears wholly inside the viewport, in a status region, and is still there 3 s later. */
  const expectResultInView = async (page: Page, text: string, what: string): Promise<void> => {
    const status = page.getByRole('status').filter({ hasText: text });
    await status.waitFor();
    const inView = async (): Promise<boolean> => {
      const box = await status.boundingBox();
      const viewport = page.viewportSize()!;
      return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
    };
    expect(await inView(), `${what}: in the viewport when it appears`).toBe(true);
    // Scrolling anywhere does not take it away.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    expect(await inView(), `${what}: in the viewport scrolled to the bottom`).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await inView(), `${what}: in the viewport scrolled to the top`).toBe(true);
    await page.waitForTimeout(3_200);
    expect(await status.isVisible(), `${what}: still shown after 3 s`).toBe(true);
    expect(await inView(), `${what}: still in the viewport after 3 s`).toBe(true);
  };

  const openSecuritySettings = async (page: Page): Promise<void> => {
    await page.goto('/account/security');
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).waitFor();
  };

  const confirmPassword = async (page: Page, password: string): Promise<void> => {
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
  };

  const startAuthenticatorSetup = async (page: Page, password: string): Promise<string> => {
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    await confirmPassword(page, password);
    await page.getByRole('radio', { name: 'Authenticated by Authenticator' }).check();
    // Shown on phones only, but there (hidden) on every screen: the key it carries is the QR code's.
    const link = page.locator('a.add-to-app');
    await link.waitFor({ state: 'attached' });
    return (await link.getAttribute('href'))!;
  };

  let paulaCodes: string[] = [];
  let paulaApp: Authenticator;

  it('#11 #6 focuses Username, checks an empty form without sending it, and says "Logging in..."', async () => {
    const { page } = await open(DESKTOP);
    const logins: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/login')) logins.push(request.method());
    });
    await page.goto('/login');
    await expectFocused(page.getByLabel('Username'));

    await page.getByRole('button', { name: 'Log In', exact: true }).click();
    await page.getByText('Enter your username.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    await expectFocused(page.getByLabel('Username'));
    expect(await page.getByText(/must NOT|body\//).count()).toBe(0);
    await checkA11y(page, 'log in, empty form');
    await screenshot(page, 'edges-desktop-01-empty-login');
    expect(logins).toEqual([]);

    // The server's own answer to an empty login is a sentence too, for every other client.
    const response = await fetch(`${harness.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: '', password: '', client: 'desktop' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
    expect(body.error).toEqual({ code: 'validation_error', message: 'Enter your username.', field: 'username' });

    // A slow login says what it is doing.
    await page.route('**/api/v1/auth/login', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue();
    });
    await page.getByLabel('Username').fill('tess');
    await page.getByLabel('Password', { exact: true }).fill('tess-password-1');
    await page.getByRole('button', { name: 'Log In', exact: true }).click();
    await page.getByRole('button', { name: 'Logging in…' }).waitFor();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.unroute('**/api/v1/auth/login');
  });

  it('#11 says nothing about "this address" when there is none', async () => {
    const page = tabs[0]!.page;
    await openSecuritySettings(page);
    const section = page.getByRole('region', { name: 'Email Address' });
    await section.getByText('No email address').waitFor();
    await section.getByText('Add an address with Change Email to receive security notices and email authentication codes.').waitFor();
    expect(await section.getByText(/sent to this address/).count()).toBe(0);
    await screenshot(page, 'edges-desktop-02-no-email');
  });

  it('#1 #2 #11 takes a pasted "123 456" in setup, keeps the box unticked until Save, and keeps "Edited successfully." in view', async () => {
    const { page } = await open(DESKTOP);
    await page.goto('/login');
    await logIn(page, 'paula', 'paula-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await openSecuritySettings(page);
    const uri = await startAuthenticatorSetup(page, 'paula-password-1');
    paulaApp = Authenticator.fromURI(uri);
    // Nothing is saved yet: the box shows what the server has.
    expect(await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).isChecked()).toBe(false);

    const field = page.getByLabel('Authentication Code');
    expect(await field.getAttribute('maxlength')).toBeNull();
    const code = await paulaApp.nextCode();
    await paste(page, field, ` ${code.slice(0, 3)} ${code.slice(3)} `);
    expect(await field.inputValue()).toBe(code);
    // Save sits low on the page; scrolled all the way down, the message must still be seen.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.getByRole('button', { name: 'Save' }).click();
    await expectResultInView(page, 'Edited successfully.', 'after Save (1280x800)');
    await screenshot(page, 'edges-desktop-03-edited-successfully');
    expect(await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).isChecked()).toBe(true);
    paulaCodes = await page.locator('.recovery-list code').allTextContents();
    expect(paulaCodes).toHaveLength(10);
    await page.getByRole('button', { name: 'I have saved them' }).click();
  });

  it('#1 #8 #9 logs in with "123-456", makes the code step a history entry, and names a wrong recovery code', async () => {
    const { page } = tabs[1]!;
    await logOut(page, 'paula');
    await logIn(page, 'paula', 'paula-password-1');
    const field = page.getByLabel('Authentication Code');
    await field.waitFor();

    // Back at the code prompt goes back to the password step, not out of the app.
    await page.evaluate(() => window.history.back());
    await page.getByRole('heading', { name: 'Log In' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await logIn(page, 'paula', 'paula-password-1');
    await field.waitFor();

    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const recovery = page.getByLabel('Recovery Code');
    await paste(page, recovery, 'zzzzz-zzzzz');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'The recovery code is incorrect' }).waitFor();
    expect(await page.getByText('The authentication code is incorrect.').count()).toBe(0);
    await screenshot(page, 'edges-desktop-04-wrong-recovery-code');

    await page.getByRole('button', { name: 'Use an authentication code instead' }).click();
    const code = await paulaApp.nextCode();
    await paste(page, field, `${code.slice(0, 3)}-${code.slice(3)}`);
    expect(await field.inputValue()).toBe(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    // A recovery code pasted in lower case, with a space for the dash and spaces around it.
    await logOut(page, 'paula');
    await logIn(page, 'paula', 'paula-password-1');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const first = paulaCodes[0]!.replace('-', '');
    await paste(page, recovery, ` ${first.slice(0, 5).toLowerCase()} ${first.slice(5).toLowerCase()} `);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('You logged in with a recovery code. 9 recovery codes are left.').waitFor();
  });

  it('#1 takes a recovery code in the Password window, any case, without the dash', async () => {
    const { page } = tabs[1]!;
    await openSecuritySettings(page);
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill('paula-password-1');
    await dialog.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await dialog.getByLabel('Recovery Code').fill(paulaCodes[1]!.replace('-', '').toLowerCase());
    await checkA11y(page, 'password window, recovery code');
    await screenshot(page, 'edges-desktop-05-password-window-recovery-code');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).isChecked()).toBe(false);
  });

  it('#3 keeps the pending key through Email and back, and through a reload', async () => {
    const { page } = tabs[1]!;
    const setupCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/two-factor/totp/setup')) setupCalls.push(request.postData() ?? '');
    });
    const first = await startAuthenticatorSetup(page, 'paula-password-1');
    await page.getByRole('radio', { name: 'Authenticated by Email' }).check();
    await page.getByRole('form', { name: 'Receive codes by email' }).waitFor();
    await page.getByRole('radio', { name: 'Authenticated by Authenticator' }).check();
    expect(await page.locator('a.add-to-app').getAttribute('href')).toBe(first);
    expect(setupCalls).toHaveLength(1);

    await page.reload();
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).waitFor();
    const again = await startAuthenticatorSetup(page, 'paula-password-1');
    expect(again).toBe(first);
    expect(await page.getByText(/A new QR code replaced the previous one/).count()).toBe(0);
    // The entry scanned before the reload works.
    await page.getByLabel('Authentication Code').fill(await Authenticator.fromURI(first).nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await page.getByRole('button', { name: 'I have saved them' }).click();
  });

  it('#9 asks before Back throws a setup away', async () => {
    const { page } = tabs[0]!;
    await openSecuritySettings(page);
    await startAuthenticatorSetup(page, 'tess-password-1');
    await page.evaluate(() => window.history.back());
    const ask = page.getByRole('dialog', { name: 'Stop setting up two-factor authentication?' });
    await ask.waitFor();
    await checkA11y(page, 'leave setup?');
    await screenshot(page, 'edges-desktop-06-leave-setup');
    await ask.getByRole('button', { name: 'Continue Setup' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe('/account/security');
    await page.getByRole('img', { name: /QR code/ }).waitFor();

    await page.evaluate(() => window.history.back());
    await ask.getByRole('button', { name: 'Leave' }).click();
    await ask.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByRole('img', { name: /QR code/ }).count()).toBe(0);
  });

  it('#4 warns before the Password window locks logins, from the server\'s answer, and says what is locked', async () => {
    const { page } = await open(DESKTOP);
    await page.goto('/login');
    await logIn(page, 'lou', 'lou-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await openSecuritySettings(page);
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    const answers: { attemptsLeft?: number; message: string }[] = [];
    page.on('response', async (response) => {
      if (response.url().endsWith('/api/v1/me/reauth') && response.status() === 401) {
        answers.push(((await response.json()) as { error: { attemptsLeft?: number; message: string } }).error);
      }
    });
    const wrong = async (): Promise<void> => {
      const before = answers.length;
      await dialog.getByLabel('Password', { exact: true }).fill('not-the-password');
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => answers.length).toBe(before + 1);
    };
    for (let i = 0; i < 7; i++) await wrong();
    expect(answers.slice(0, 6).every((a) => a.attemptsLeft === undefined)).toBe(true);
    expect(answers[6]).toMatchObject({ attemptsLeft: 3 });
    await wrong();
    expect(answers[7]).toMatchObject({ attemptsLeft: 2 });
    // The session is this browser's: its wrong passwords pause this device's logins (issue 11).
    await dialog.getByRole('alert').filter({ hasText: '2 attempts left before logins from this device are paused for 15 minutes.' }).waitFor();
    await checkA11y(page, 'password window, attempts left');
    await screenshot(page, 'edges-desktop-07-attempts-left');
    await wrong();
    await dialog.getByRole('alert').filter({ hasText: '1 attempt left before logins' }).waitFor();
    await wrong();
    expect(answers[9]).toMatchObject({ attemptsLeft: 0 });
    await dialog.getByRole('alert').filter({ hasText: 'logins from this device are paused for 15 minutes' }).waitFor();
    // It is what it says: logging in from this browser (its device cookie) is paused, even with the right password.
    const login = await page.evaluate(async () => {
      const response = await fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-protection': '1' },
        body: JSON.stringify({ username: 'lou', password: 'lou-password-1', client: 'web' }),
      });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    });
    expect(login.status).toBe(429);
    expect(login.body.error.message).toMatch(/Logins to this account with a password are paused/);
  });

  it('#5 #2 checks a new account\'s password before the Password window, keeps focus there, and shows the result in view (375x812)', async () => {
    const { page } = await open(PHONE);
    await page.goto('/login');
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.goto('/admin');
    const form = page.getByRole('form', { name: 'Create an account' });
    await form.waitFor();
    const creates: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/admin/users') && request.method() === 'POST') creates.push(request.url());
    });
    await form.getByLabel('Username').fill('newbie');
    await form.getByLabel('Initial Password').fill('short');
    await form.getByRole('button', { name: 'Create Account' }).click();
    await form.getByText('The password must be at least 8 characters.').waitFor();
    await expectFocused(form.getByLabel('Initial Password'));
    expect(await page.getByRole('dialog', { name: 'Password' }).count()).toBe(0);
    expect(creates).toEqual([]);
    await checkA11y(page, 'create account, short password (phone)');
    await screenshot(page, 'edges-phone-01-create-short-password');

    // What only the server judges comes back before the Password window too, on its field.
    await form.getByLabel('Initial Password').fill('good-password-1');
    await form.getByLabel('Display Name (optional)').fill('bad\u200bname');
    await form.getByRole('button', { name: 'Create Account' }).click();
    await form.getByText(/Display name must not contain/).waitFor();
    await expectFocused(form.getByLabel('Display Name (optional)'));
    expect(await page.getByRole('dialog', { name: 'Password' }).count()).toBe(0);

    await form.getByLabel('Display Name (optional)').fill('');
    await form.getByRole('button', { name: 'Create Account' }).click();
    await confirmPassword(page, ADMIN_PASSWORD);
    await expectResultInView(page, 'Account newbie created.', 'after Create Account (375x812)');
    await screenshot(page, 'edges-phone-02-account-created');
  });

  it('#11 names the account in the administrator\'s "Edited successfully."', async () => {
    const { page } = tabs.at(-1)!;
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^paula/ }) });
    await row.getByRole('button', { name: 'Disable Two-Factor Authentication' }).click();
    await page.getByRole('dialog', { name: 'Disable Two-Factor Authentication' }).getByRole('button', { name: 'Disable' }).click();
    await expectResultInView(page, 'Edited successfully. Two-factor authentication is off for paula.', 'admin reset (375x812)');
    await screenshot(page, 'edges-phone-03-admin-edited');
  });

  it('#10 says why a session ended: an administrator, another tab; and tells of the reset at the next login', async () => {
    const { page } = tabs[1]!;
    await openAccountMenu(page, 'paula');
    await page.getByRole('menuitem', { name: 'Change Password & Security' }).click();
    // The server remembers why (reason `administrator`): the sentence says it, not a list of guesses.
    await page.getByText('Your session ended because an administrator changed your account. Log in again.').waitFor();
    await screenshot(page, 'edges-desktop-08-session-ended');
    await logIn(page, 'paula', 'paula-password-1');
    await page.getByRole('status').filter({ hasText: 'An administrator turned off two-factor authentication for your account.' }).waitFor();
    await screenshot(page, 'edges-desktop-09-told-of-reset');
    // Told once: the login after that one is an ordinary one.
    await logOut(page, 'paula');
    await logIn(page, 'paula', 'paula-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    expect(await page.getByText(/An administrator turned off/).count()).toBe(0);

    // Two tabs share the session: Log Out in one tells the other at once.
    const other = await tabs[1]!.context.newPage();
    await other.goto('/');
    await other.getByRole('heading', { name: /Welcome/ }).waitFor();
    await logOut(page, 'paula');
    await other.getByText('Your session ended because you logged out in another tab.').waitFor();
    expect(new URL(other.url()).pathname).toBe('/login');
    await other.close();
  });

  it('#10 says the password was changed, in the open tab and after a reload, and on the phone', async () => {
    const desk = await open(DESKTOP);
    const phone = await open(PHONE);
    for (const { page } of [desk, phone]) {
      await page.goto('/login');
      await logIn(page, 'rita', 'rita-password-1');
      await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    }
    // The password is changed from a third session (the desktop client): both browser sessions end.
    const token = await apiToken(harness, 'rita', 'rita-password-1');
    await callApi(harness, 'PUT', '/api/v1/me/password', { currentPassword: 'rita-password-1', newPassword: 'rita-password-2' }, token);
    const sentence = 'Your session ended because the password of your account was changed. Log in again.';
    // The open tab notices at its next request (navigation)...
    await openAccountMenu(desk.page, 'rita');
    await desk.page.getByRole('menuitem', { name: 'Change Password & Security' }).click();
    await desk.page.getByText(sentence).waitFor();
    expect(new URL(desk.page.url()).pathname).toBe('/login');
    await screenshot(desk.page, 'edges-desktop-10-password-changed');
    // ...and a reload says it too (the browser still sends the ended session's cookie).
    await phone.page.reload();
    await phone.page.getByText(sentence).waitFor();
    await screenshot(phone.page, 'edges-phone-10-password-changed');
    // A browser that never held that session hears nothing of it.
    const stranger = await open(DESKTOP);
    await stranger.page.goto('/login');
    await stranger.page.getByRole('button', { name: 'Log In', exact: true }).waitFor();
    expect(await stranger.page.getByText(/Your session ended/).count()).toBe(0);
  });

  it('#1 #2 #3 in Add authenticator: recovery codes in its Password windows, the pending key kept, a pasted code, the result in view', async () => {
    // Ada has an app already (through the API, as another client would) and its recovery codes.
    const token = await apiToken(harness, 'ada', 'ada-password-1');
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password: 'ada-password-1' }, token);
    const first = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', { name: 'Old phone' }, token);
    const oldPhone = new Authenticator(first.secret);
    const enabled = await callApi<{ recoveryCodes: string[] }>(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await oldPhone.nextCode() }, token);
    const codes = enabled.recoveryCodes;
    const { page } = await open(DESKTOP);
    await page.goto('/login');
    await logIn(page, 'ada', 'ada-password-1');
    await paste(page, page.getByLabel('Authentication Code'), ` ${(await oldPhone.nextCode()).replace(/^(...)/, '$1 ')} `);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.goto('/account/security');
    const section = page.getByRole('region', { name: 'Authenticators' });
    await section.getByRole('listitem').first().waitFor();

    const passWithRecoveryCode = async (code: string): Promise<void> => {
      const dialog = page.getByRole('dialog', { name: 'Password' });
      await dialog.getByLabel('Password', { exact: true }).fill('ada-password-1');
      await dialog.getByRole('button', { name: 'Use a recovery code instead' }).click();
      await dialog.getByLabel('Recovery Code').fill(code);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    const shownKey = async (): Promise<string> => (await page.locator('a.add-to-app').getAttribute('href'))!;

    // Any case, no dash: accepted in the Add authenticator Password window.
    await section.getByRole('button', { name: 'Add authenticator' }).click();
    await passWithRecoveryCode(codes[0]!.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Authenticator app', exact: true }).click();
    await page.locator('a.add-to-app').waitFor({ state: 'attached' });
    const key = await shownKey();
    // Cancel and Add again: the same key comes back (reusePending), and no "replaced" warning.
    await section.getByRole('button', { name: 'Cancel' }).click();
    await section.getByRole('button', { name: 'Add authenticator' }).click();
    await passWithRecoveryCode(codes[1]!.replace('-', ' '));
    await page.getByRole('button', { name: 'Authenticator app', exact: true }).click();
    await page.locator('a.add-to-app').waitFor({ state: 'attached' });
    expect(await shownKey()).toBe(key);
    expect(await page.getByText('A new QR code replaced the previous one.').count()).toBe(0);

    // The code as the app shows it, pasted: all six digits arrive.
    const workPhone = Authenticator.fromURI(key);
    const field = section.getByLabel('Authentication Code');
    await paste(page, field, (await workPhone.nextCode()).replace(/^(...)/, '$1-'));
    expect(await field.inputValue()).toMatch(/^[0-9]{6}$/);
    await section.getByRole('button', { name: 'Save' }).click();
    await expectResultInView(page, 'Edited successfully.', 'authenticator added (1280x800)');
    await expect.poll(() => section.getByRole('listitem').count()).toBe(2);

    // Remove, confirmed with a recovery code typed with a space.
    await page.getByRole('button', { name: 'Remove Old phone' }).click();
    await passWithRecoveryCode(codes[2]!.replace('-', ' ').toLowerCase());
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await expect.poll(() => section.getByRole('listitem').count()).toBe(1);
    await screenshot(page, 'edges-desktop-11-authenticator-added-with-recovery-codes');
  });

  it('#7 #12 sends one code for a double click, with one message and one countdown; the code is not in the Subject', async () => {
    const { page } = await open(DESKTOP);
    await page.goto('/login');
    await logIn(page, 'erin', 'erin-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await openSecuritySettings(page);
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    await confirmPassword(page, 'erin-password-1');
    const sends: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/two-factor/email/setup')) sends.push(request.url());
    });
    await page.getByRole('radio', { name: 'Authenticated by Email' }).check();
    await page.getByRole('button', { name: 'Send code' }).dblclick();
    const setup = page.getByRole('form', { name: 'Receive codes by email' });
    await setup.getByText(/^A code was sent to e\*\*\*@example\.com\. You can send another in \d+ s\.$/).waitFor();
    await page.waitForTimeout(1_500);
    expect(sends).toHaveLength(1);
    expect(await setup.getByText(/You can send/).count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'edges-desktop-10-email-sent-once');

    // The code mail: Subject without the code, the code in the body.
    const outbox = path.join(harness.dataDir, 'outbox');
    const mails = await Promise.all((await readdir(outbox)).map(async (file) => simpleParser(await readFile(path.join(outbox, file)))));
    const codeMails = mails.filter((mail) => (mail.to ? [mail.to].flat() : []).some((to) => to.text.includes('erin@example.com')));
    expect(codeMails.length).toBeGreaterThan(0);
    for (const mail of codeMails.filter((m) => /authentication code/.test(m.subject ?? ''))) {
      expect(mail.subject).toBe('Your Twofold authentication code');
      expect(mail.text).toMatch(/Your authentication code is [0-9]{6}/);
    }
    await page.getByLabel('Authentication Code').fill(await readMailedCode(harness, 'erin@example.com'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();

    // At login nothing is sent before the user asks: "Send code" says so, and has the focus.
    await logOut(page, 'erin');
    await logIn(page, 'erin', 'erin-password-1');
    await page.getByText('Select Send code to get a 6-digit code by email.').waitFor();
    await expectFocused(page.getByRole('button', { name: 'Send code' }));
    expect(await page.getByText(/We email you/).count()).toBe(0);
    await screenshot(page, 'edges-desktop-11-email-login');
    await page.getByRole('button', { name: 'Send code' }).dblclick();
    await page.getByText(/^A code was sent to e\*\*\*@example\.com\. You can send another in \d+ s\.$/).waitFor();
    await expectFocused(page.getByLabel('Authentication Code'));
    await page.getByLabel('Authentication Code').fill(await readMailedCode(harness, 'erin@example.com'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
  });

  it('#2 keeps "Edited successfully." in view at 375x812 whatever the scroll position', async () => {
    const { page } = await open(PHONE);
    await page.goto('/login');
    await logIn(page, 'nemo', 'nemo-password-1');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await openSecuritySettings(page);
    const uri = await startAuthenticatorSetup(page, 'nemo-password-1');
    await screenshot(page, 'edges-phone-04-setup');
    await page.evaluate(() => window.history.back());
    const ask = page.getByRole('dialog', { name: 'Stop setting up two-factor authentication?' });
    await ask.waitFor();
    await screenshot(page, 'edges-phone-04-leave-setup');
    await ask.getByRole('button', { name: 'Continue Setup' }).click();
    await ask.waitFor({ state: 'detached' });
    const app = Authenticator.fromURI(uri);
    await page.getByLabel('Authentication Code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await expectResultInView(page, 'Edited successfully.', 'after Save (375x812)');
    await screenshot(page, 'edges-phone-05-edited-successfully');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Authentication Code').waitFor();
    await screenshot(page, 'edges-phone-05-password-window-code');
    await dialog.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await dialog.getByLabel('Recovery Code').fill('abcde fghjk');
    await checkA11y(page, 'password window, recovery code (phone)');
    await screenshot(page, 'edges-phone-05-password-window-recovery');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await logOut(page, 'nemo');
    await logIn(page, 'nemo', 'nemo-password-1');
    await page.getByLabel('Authentication Code').waitFor();
    await screenshot(page, 'edges-phone-06-code-step');
    await page.getByRole('button', { name: 'Back to Log In' }).click();
    await page.getByRole('button', { name: 'Log In', exact: true }).click();
    await screenshot(page, 'edges-phone-07-empty-login');
  });
});
