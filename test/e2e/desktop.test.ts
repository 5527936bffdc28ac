import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  Authenticator,
  DESKTOP,
  apiToken,
  callApi,
  checkA11y,
  createAccounts,
  expectInside,
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

// The help page, word for word, at 1280x800: an administrator creates alice, alice turns on
// two-factor with the secret from "Can't scan", logs in with codes, and the administrator turns it off.
describe('web client at desktop size', () => {
  let harness: Harness;
  let admin: Tab;
  let alice: Tab;
  let authenticator: Authenticator;
  let recoveryCode: string;
  const password = 'alice-password-1';
  const newPassword = 'alice-password-2';

  /** The accounts as the server has them, seen from a page's session. */
  const accounts = async (page: Tab['page']): Promise<{ username: string; twoFactor: { enabled: boolean } }[]> =>
    ((await (await page.request.get('/api/v1/admin/users')).json()) as { users: { username: string; twoFactor: { enabled: boolean } }[] }).users;
  const usernames = async (page: Tab['page']): Promise<string[]> => (await accounts(page)).map((u) => u.username).sort();
  const aliceTwoFactor = async (page: Tab['page']): Promise<boolean | undefined> =>
    (await accounts(page)).find((u) => u.username === 'alice')?.twoFactor.enabled;
  /** Focus may move a frame after the element appears, so this waits for it (and fails if it never comes). */
  const expectFocused = async (locator: ReturnType<Tab['page']['locator']>): Promise<void> => {
    await expect.poll(() => locator.evaluate((el) => el === document.activeElement), { timeout: 2_000 }).toBe(true);
  };

  beforeAll(async () => {
    harness = await startHarness();
    admin = await openTab(harness, DESKTOP);
    alice = await openTab(harness, DESKTOP);
  });

  afterAll(async () => {
    expect([...(admin?.cspErrors ?? []), ...(alice?.cspErrors ?? [])]).toEqual([]);
    await harness?.stop();
  });

  it('sends a visitor to Log In, and lets the administrator create an account in Administration', async () => {
    const { page } = admin;
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Log In' }).waitFor();
    // GET /api/v1/me is how the page learns it is logged out (the session cookie is HttpOnly): its 401
    // is the browser's only console line, and the page shows no error for it.
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByRole('status').count()).toBe(0);
    for (const error of admin.consoleErrors) {
      expect(error.url).toBe(`${harness.url}/api/v1/me`);
      expect(error.text).toMatch(/401/);
    }
    await checkA11y(page, 'log in');
    await screenshot(page, 'desktop-01-log-in');

    await logIn(page, 'nobody', 'wrong-password');
    await page.getByRole('alert').filter({ hasText: 'Incorrect username or password.' }).waitFor();

    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await checkA11y(page, 'home');
    await screenshot(page, 'desktop-02-home');

    await openAccountMenu(page, 'admin');
    await checkA11y(page, 'account menu');
    await page.getByRole('menuitem', { name: 'Administration' }).click();
    await page.waitForURL('**/admin');
    await page.getByRole('row', { name: /admin/ }).waitFor();

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Initial Password').fill(password);
    await page.getByLabel('Display Name (optional)').fill('Alice Liddell');
    await page.getByLabel('Email (optional)').fill('alice@example.com');
    const create = page.getByRole('button', { name: 'Create Account' });
    await create.click();

    // A fresh login does not open the Password window: the server asks for it, and the page shows it.
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.waitFor();
    await expectFocused(dialog.getByLabel('Password', { exact: true }));
    // The administrator has no two-factor: the password alone.
    expect(await dialog.getByLabel('Authentication Code').count()).toBe(0);
    await checkA11y(page, 'administration password dialog');
    await screenshot(page, 'desktop-03-administration-password');

    // Cancel: nothing is created, the form keeps what was typed, focus is back on the button.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectFocused(create);
    expect(await page.getByLabel('Username').inputValue()).toBe('alice');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await usernames(page)).toEqual(['admin']);

    // A wrong password shows an error and creates nothing.
    await create.click();
    await dialog.getByLabel('Password', { exact: true }).fill('not-the-admin-password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The password is incorrect.' }).waitFor();
    await expectFocused(dialog.getByLabel('Password', { exact: true }));
    expect(await usernames(page)).toEqual(['admin']);

    // The right one confirms, and the account is created without clicking Create Account again.
    await dialog.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Account alice created.' }).waitFor();
    const row = page.getByRole('row', { name: /alice/ });
    await row.getByText('Off').waitFor();
    expect(await usernames(page)).toEqual(['admin', 'alice']);
    expect(await page.getByLabel('Username').inputValue()).toBe('');
    await checkA11y(page, 'administration');
    await screenshot(page, 'desktop-03-administration');
  });

  it('hides Administration from a user, and the API refuses them', async () => {
    const { page } = alice;
    await page.goto('/admin');
    await page.waitForURL('**/login');
    await logIn(page, 'alice', password);
    // Log In returns to the screen that was asked for.
    await page.waitForURL('**/admin');
    await page.getByText('Only administrators can see this page.').waitFor();
    const refused = await page.request.get('/api/v1/admin/users');
    expect(refused.status()).toBe(403);

    // The account menu by keyboard: Enter opens it on the first item, arrows move, Escape returns.
    const menuButton = page.getByRole('banner').getByRole('button', { name: 'alice' });
    await menuButton.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    const items = await page.getByRole('menuitem').allTextContents();
    expect(items).toEqual(['Change Password & Security', 'Log Out']);
    const focused = (): Promise<string | null> => page.evaluate(() => document.activeElement?.textContent ?? null);
    expect(await focused()).toBe('Change Password & Security');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Log Out');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('menu').count()).toBe(0);
    expect(await menuButton.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('changes the password on the Change Password tab', async () => {
    const { page } = alice;
    await openAccountMenu(page, 'alice');
    await page.getByRole('menuitem', { name: 'Change Password & Security' }).click();
    await page.waitForURL('**/account/password');
    expect(await page.getByRole('tab', { name: 'Change Password' }).getAttribute('aria-selected')).toBe('true');
    await checkA11y(page, 'change password');

    await page.getByLabel('Current Password').fill(password);
    await page.getByLabel('New Password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm New Password').fill('something-else');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The new passwords do not match.').waitFor();

    await page.getByLabel('Confirm New Password').fill(newPassword);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await screenshot(page, 'desktop-04-change-password');

    await page.reload();
    await page.getByRole('tab', { name: 'Change Password', selected: true }).waitFor();
  });

  it('turns two-factor on by the secret key from "Can\'t scan"', async () => {
    const { page } = alice;
    // A second session of alice's: the desktop client.
    const desktopToken = await apiToken(harness, 'alice', newPassword);
    // Step 1: Change Password & Security > Security Settings.
    await page.getByRole('tab', { name: 'Security Settings' }).click();
    await page.waitForURL('**/account/security');
    const checkbox = page.getByRole('checkbox', { name: 'Two-Factor Authentication' });
    expect(await checkbox.isChecked()).toBe(false);
    const sessions = page.getByRole('region', { name: 'Where you are logged in' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);
    expect(await sessions.filter({ hasText: 'Desktop Client' }).count()).toBe(1);
    await checkA11y(page, 'security settings');

    // Steps 2-3: the checkbox opens the Password window; a wrong password changes nothing.
    await checkbox.click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Password', { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true);
    await checkA11y(page, 'password dialog');
    await screenshot(page, 'desktop-05-password-dialog');
    await dialog.getByLabel('Password', { exact: true }).fill('not-my-password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The password is incorrect.' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await checkbox.isChecked()).toBe(false);
    expect(await checkbox.evaluate((el) => el === document.activeElement)).toBe(true);

    // The keyboard works too: Space on the focused checkbox opens the window, Escape closes it.
    await page.keyboard.press('Space');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await checkbox.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await checkbox.isChecked()).toBe(false);
    await page.keyboard.press('Space');
    await dialog.getByLabel('Password', { exact: true }).fill(newPassword);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Nothing is saved yet: the box shows the server's state until Save (issue 13 #11).
    expect(await checkbox.isChecked()).toBe(false);

    // Step 4: Authenticated by Authenticator.
    expect(await page.getByRole('radio', { name: 'Authenticated by Email' }).isVisible()).toBe(true);
    await page.getByRole('radio', { name: 'Authenticated by Authenticator' }).check();
    const qr = page.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    // A desktop can show the QR code to a phone; the same-device link is for narrow screens.
    expect(await page.getByRole('link', { name: 'Add to authenticator app' }).isVisible()).toBe(false);

    // Step 5, manually: "Can't scan" beside the QR code shows the secret key under it.
    await page.getByRole('link', { name: "Can't scan" }).click();
    const grouped = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(grouped).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
    expect(await page.getByText('SHA1').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Secret key copied.').waitFor();
    const secret = grouped.replace(/\s/g, '');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    authenticator = new Authenticator(secret);
    await checkA11y(page, 'authenticator setup');
    await screenshot(page, 'desktop-06-cant-scan');

    // What to type stands between the label and the field, on one line, and is read out with the field.
    const codeField = page.getByLabel('Authentication Code');
    const hint = page.getByText('Enter the 6-digit authentication code the app now shows.');
    expect(await codeField.getAttribute('aria-describedby')).toBe(await hint.getAttribute('id'));
    const [hintBox, fieldBox] = [await hint.boundingBox(), await codeField.boundingBox()];
    expect(hintBox!.y + hintBox!.height).toBeLessThanOrEqual(fieldBox!.y);
    expect(hintBox!.height).toBeLessThan(30);

    // A wrong code shows an error and changes nothing.
    await codeField.fill(authenticator.wrongCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    const me = await page.request.get('/api/v1/me');
    expect(((await me.json()) as { twoFactor: { enabled: boolean } }).twoFactor.enabled).toBe(false);

    // Steps 6-7: the code, then Save.
    await codeField.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    // Turning two-factor on ended the desktop session; the list says so without a reload.
    await expect.poll(() => sessions.count()).toBe(1);
    expect(await sessions.filter({ hasText: 'This session' }).count()).toBe(1);
    await expect(callApi(harness, 'GET', '/api/v1/me', undefined, desktopToken)).rejects.toThrow(/answered 401/);
    const codes = page.getByRole('region', { name: 'Save your recovery codes' }).getByRole('listitem');
    expect(await codes.count()).toBe(10);
    recoveryCode = ((await codes.first().textContent()) ?? '').trim();
    expect(recoveryCode).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    expect(await page.getByText(/If you lose your phone/).isVisible()).toBe(true);
    await checkA11y(page, 'recovery codes');
    await screenshot(page, 'desktop-07-edited-successfully');

    await page.reload();
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).isChecked()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/account/security');
  });

  it('logs out, then asks for the code at Log In and refuses a reused one', async () => {
    const { page } = alice;
    await logOut(page, 'alice');

    await logIn(page, 'alice', newPassword);
    const code = page.getByLabel('Authentication Code');
    await code.waitFor();
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('numeric');
    await checkA11y(page, 'authentication code');
    await screenshot(page, 'desktop-08-authentication-code');

    await code.fill(authenticator.wrongCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();

    await code.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Welcome, Alice Liddell' }).waitFor();

    await logOut(page, 'alice');
    await logIn(page, 'alice', newPassword);
    // The code just used is still in the server's window: it is refused as used, not as wrong.
    await code.fill(authenticator.lastCode());
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login/second-factor'));
    await page.getByRole('button', { name: 'Verify' }).click();
    const refused = (await (await answer).json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('invalid_code');
    expect(refused.error.message).toBe('This code was already used. Wait for the next code in your app.');
    await page.getByRole('alert').filter({ hasText: refused.error.message }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(refused.error.message);
    await screenshot(page, 'desktop-09-reused-code');

    await code.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
  });

  it('logs in with a recovery code when the phone is not at hand', async () => {
    const { page } = alice;
    await logOut(page, 'alice');
    await logIn(page, 'alice', newPassword);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery Code').fill(recoveryCode.toLowerCase());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('You logged in with a recovery code. 9 recovery codes are left.').waitFor();
    await screenshot(page, 'desktop-10-recovery-code');
  });

  it('lets the administrator disable two-factor; the user is sent to Log In and needs no code', async () => {
    const { page } = admin;
    // A new login, so the Password window from creating alice no longer counts (it also would after 5 minutes).
    await logOut(page, 'admin');
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.goto('/admin');
    const row = page.getByRole('row', { name: /alice/ });
    await row.getByText('On · Authenticator').waitFor();
    const disable = row.getByRole('button', { name: 'Disable Two-Factor Authentication' });
    // The table fits its card at 1280x800: the button is whole, not clipped at the card's edge.
    await expectInside(disable, page.getByRole('region', { name: 'Accounts' }), 'Disable button in the Accounts card');
    await screenshot(page, 'desktop-11-administration-two-factor-on');
    const confirmation = page.getByRole('dialog', { name: 'Disable Two-Factor Authentication' });
    const password = page.getByRole('dialog', { name: 'Password' });

    // The confirmation comes first and says what happens; the Password window then takes its place.
    await disable.click();
    await confirmation.waitFor();
    await confirmation.getByText('for example when they lost their phone').waitFor();
    await checkA11y(page, 'disable dialog');
    await screenshot(page, 'desktop-11-admin-disable-dialog');
    await confirmation.getByRole('button', { name: 'Disable' }).click();
    await password.waitFor();
    expect(await confirmation.count()).toBe(0);
    await expectFocused(password.getByLabel('Password', { exact: true }));

    // Cancel changes nothing and returns to the row's button.
    await password.getByRole('button', { name: 'Cancel' }).click();
    await password.waitFor({ state: 'detached' });
    await expectFocused(disable);
    expect(await aliceTwoFactor(page)).toBe(true);
    await row.getByText('On · Authenticator').waitFor();

    // A wrong password shows an error and changes nothing.
    await disable.click();
    await confirmation.getByRole('button', { name: 'Disable' }).click();
    await password.getByLabel('Password', { exact: true }).fill('not-the-admin-password');
    await password.getByRole('button', { name: 'Confirm' }).click();
    await password.getByRole('alert').filter({ hasText: 'The password is incorrect.' }).waitFor();
    await checkA11y(page, 'administration password dialog, wrong password');
    await screenshot(page, 'desktop-12-admin-password-wrong');
    expect(await aliceTwoFactor(page)).toBe(true);

    // The right one confirms, and two-factor goes off without asking again.
    await password.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await password.getByRole('button', { name: 'Confirm' }).click();
    await password.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await row.getByText('Off').waitFor();
    expect(await aliceTwoFactor(page)).toBe(false);

    // Alice's sessions ended with the reset: her next request sends her to Log In saying why
    // (the server's `reason` for her token: administrator).
    const user = alice.page;
    await openAccountMenu(user, 'alice');
    await user.getByRole('menuitem', { name: 'Change Password & Security' }).click();
    await user.getByText('Your session ended because an administrator changed your account. Log in again.').waitFor();
    // The reason is told once more after logging in, by the server (issue 13 #10).
    const afterReset = 'An administrator turned off two-factor authentication for your account.';
    expect(new URL(user.url()).pathname).toBe('/login');

    await logIn(user, 'alice', newPassword);
    await user.waitForURL('**/account/password');
    await user.getByRole('status').filter({ hasText: afterReset }).waitFor();
    await user.getByRole('tab', { name: 'Security Settings' }).click();
    await user.getByRole('checkbox', { name: 'Two-Factor Authentication' }).waitFor();
    expect(await user.getByRole('checkbox', { name: 'Two-Factor Authentication' }).isChecked()).toBe(false);
    await screenshot(user, 'desktop-13-logged-in-without-code');
  });

  it('turns on "Authenticated by Email", logs in with a mailed code and turns it off again', async () => {
    // Without the Password window the API refuses an administrative write; helpers.createAccounts opens it first.
    const token = await apiToken(harness, 'admin', ADMIN_PASSWORD);
    await expect(callApi(harness, 'POST', '/api/v1/admin/users', { username: 'dave', password: 'dave-password-1' }, token)).rejects.toThrow(
      /answered 403: .*"reauth_required"/,
    );
    await createAccounts(harness, { username: 'dave', password: 'dave-password-1', email: 'dave@example.com' });
    const dave = await openTab(harness, DESKTOP);
    const { page } = dave;
    // A second session of dave's, to see the list follow the change.
    await apiToken(harness, 'dave', 'dave-password-1');
    await page.goto('/account/security');
    await logIn(page, 'dave', 'dave-password-1');
    const checkbox = page.getByRole('checkbox', { name: 'Two-Factor Authentication' });
    await checkbox.click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill('dave-password-1');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });

    const sessions = page.getByRole('region', { name: 'Where you are logged in' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);

    await page.getByRole('radio', { name: 'Authenticated by Email' }).check();
    // The address as the Email Address section shows it; only the server's "sent to" line masks it.
    const setup = page.getByRole('form', { name: 'Receive codes by email' });
    await setup.getByText('dave@example.com').waitFor();
    expect(await page.getByText('d***@example.com').count()).toBe(0);
    await page.getByRole('button', { name: 'Send code', exact: true }).click();
    await page.getByText('A code was sent to d***@example.com.').waitFor();
    await checkA11y(page, 'email setup');
    await screenshot(page, 'desktop-14-email-setup');
    await page.getByLabel('Authentication Code').fill(await readMailedCode(harness, 'dave@example.com'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    expect(await checkbox.isChecked()).toBe(true);
    // The recovery codes speak of the email, not of a phone.
    await page.getByText(/^If you cannot receive the email, each of these codes logs you in once/).waitFor();
    expect(await page.getByText(/phone/).count()).toBe(0);
    await expect.poll(() => sessions.count()).toBe(1);
    await screenshot(page, 'desktop-14-email-recovery-codes');

    await logOut(page, 'dave');
    await logIn(page, 'dave', 'dave-password-1');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText('A code was sent to d***@example.com.').waitFor();
    await page.getByText(/^If you cannot receive the email and have no recovery codes, ask your administrator/).waitFor();
    expect(await page.getByText(/phone/).count()).toBe(0);
    await screenshot(page, 'desktop-15-email-login');
    await page.getByLabel('Authentication Code').fill(await readMailedCode(harness, 'dave@example.com'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    await page.goto('/account/security');
    await checkbox.click();
    await dialog.getByLabel('Password', { exact: true }).fill('dave-password-1');
    await dialog.getByRole('button', { name: 'Send code', exact: true }).click();
    await dialog.getByText('A code was sent to d***@example.com.').waitFor();
    await dialog.getByLabel('Authentication Code').fill(await readMailedCode(harness, 'dave@example.com'));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    expect(await checkbox.isChecked()).toBe(false);
    await dave.context.close();
  });
});
