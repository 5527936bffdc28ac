import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Authenticator,
  DESKTOP,
  PHONE,
  apiToken,
  callApi,
  checkA11y,
  createAccounts,
  expectInside,
  logIn,
  logOut,
  openTab,
  readMailedCode,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

interface MeBody {
  email: string | null;
  emailVerified: boolean;
  recoveryCodesLeft: number | null;
  twoFactor: { enabled: boolean; method: string | null };
}

// At 1280x800: erin makes a fresh set of recovery codes (the old set stops working) and changes
// her email address with the code mailed to the new one, both on the Security Settings tab.
describe('security settings extras at desktop size', () => {
  let harness: Harness;
  let erin: Tab;
  let authenticator: Authenticator;
  let oldCodes: string[];
  let newCodes: string[];
  const password = 'erin-password-1';

  const me = async (): Promise<MeBody> => (await (await erin.page.request.get('/api/v1/me')).json()) as MeBody;
  /** Focus may move a frame after the element appears, so this waits for it (and fails if it never comes). */
  const expectFocused = async (locator: ReturnType<Tab['page']['locator']>): Promise<void> => {
    await expect.poll(() => locator.evaluate((el) => el === document.activeElement), { timeout: 2_000 }).toBe(true);
  };

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(harness, { username: 'erin', password, displayName: 'Erin', email: 'erin@example.com' });
    erin = await openTab(harness, DESKTOP);
  });

  afterAll(async () => {
    expect(erin?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  it('shows the email address, unverified, and no recovery codes while two-factor is off', async () => {
    const { page } = erin;
    await page.goto('/account/security');
    await logIn(page, 'erin', password);
    await page.waitForURL('**/account/security');
    const section = page.getByRole('region', { name: 'Email Address' });
    await section.getByText('erin@example.com').waitFor();
    await section.getByText('Not verified').waitFor();
    await section.getByText('To verify it, choose Change Email and enter the same address to receive a code.', { exact: false }).waitFor();
    expect(await section.getByRole('button', { name: 'Change Email' }).isVisible()).toBe(true);
    expect(await page.getByRole('region', { name: 'Recovery Codes' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Generate New Recovery Codes' }).count()).toBe(0);
    await checkA11y(page, 'security settings with email');
    await screenshot(page, 'extras-01-security-settings');
  });

  it('turns two-factor on and shows how many recovery codes are left', async () => {
    const { page } = erin;
    await page.getByRole('checkbox', { name: 'Two-Factor Authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('radio', { name: 'Authenticated by Authenticator' }).check();
    await page.getByRole('link', { name: "Can't scan" }).click();
    authenticator = new Authenticator((await page.locator('#totp-secret').textContent()) ?? '');
    await page.getByLabel('Authentication Code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    const shown = page.getByRole('region', { name: 'Save your recovery codes' }).getByRole('listitem');
    oldCodes = (await shown.allTextContents()).map((c) => c.trim());
    expect(oldCodes).toHaveLength(10);
    await page.getByRole('button', { name: 'I have saved them' }).click();

    const recovery = page.getByRole('region', { name: 'Recovery Codes' });
    await recovery.getByText('10 recovery codes left').waitFor();
    expect(await recovery.getByRole('button', { name: 'Generate New Recovery Codes' }).isVisible()).toBe(true);
    await checkA11y(page, 'recovery codes count');
    await screenshot(page, 'extras-02-recovery-codes-left');
  }, 60_000);

  it('generates new recovery codes through the Password window, with a current code', async () => {
    const { page } = erin;
    const generate = page.getByRole('button', { name: 'Generate New Recovery Codes' });
    await generate.click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.waitFor();
    await expectFocused(dialog.getByLabel('Password', { exact: true }));
    expect(await dialog.getByLabel('Authentication Code').isVisible()).toBe(true);

    // Cancel returns focus to the button and changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectFocused(generate);

    await generate.click();
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(authenticator.wrongCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    expect((await me()).recoveryCodesLeft).toBe(10);
    await checkA11y(page, 'generate codes password dialog');
    await screenshot(page, 'extras-03-generate-password-dialog');

    await dialog.getByLabel('Authentication Code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    const region = page.getByRole('region', { name: 'Save your recovery codes' });
    await region.waitFor();
    await expectFocused(region.getByRole('heading', { name: 'Save your recovery codes' }));
    await region.getByText('Your old recovery codes no longer work').waitFor();
    newCodes = (await region.getByRole('listitem').allTextContents()).map((c) => c.trim());
    expect(newCodes).toHaveLength(10);
    for (const code of newCodes) expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    expect(newCodes.filter((code) => oldCodes.includes(code))).toEqual([]);

    await region.getByRole('button', { name: 'Copy codes' }).click();
    await page.getByText('Recovery codes copied.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    for (const code of newCodes) expect(copied).toContain(code);
    const [download] = await Promise.all([page.waitForEvent('download'), region.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe('twofold-recovery-codes-erin.txt');
    await checkA11y(page, 'new recovery codes');
    await screenshot(page, 'extras-04-new-recovery-codes');

    await region.getByRole('button', { name: 'I have saved them' }).click();
    await region.waitFor({ state: 'detached' });
    await expectFocused(generate);
    await page.getByText('10 recovery codes left').waitFor();
  }, 60_000);

  it('refuses an old recovery code at Log In and accepts a new one', async () => {
    const { page } = erin;
    await logOut(page, 'erin');

    await logIn(page, 'erin', password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery Code').fill(oldCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'The recovery code is incorrect, or it was already used.' }).waitFor();
    await screenshot(page, 'extras-05-old-recovery-code-refused');

    await page.getByLabel('Recovery Code').fill(newCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('You logged in with a recovery code. 9 recovery codes are left.').waitFor();

    await page.goto('/account/security');
    await page.getByRole('region', { name: 'Recovery Codes' }).getByText('9 recovery codes left').waitFor();
    expect((await me()).recoveryCodesLeft).toBe(9);
  });

  it('changes the email address with the code mailed to the new one', async () => {
    const { page } = erin;
    const section = page.getByRole('region', { name: 'Email Address' });
    const change = section.getByRole('button', { name: 'Change Email' });
    await change.click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.waitFor();
    await expectFocused(dialog.getByLabel('Password', { exact: true }));
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });

    const address = section.getByLabel('New Email Address');
    await address.waitFor();
    await page.waitForFunction(() => (document.activeElement as HTMLInputElement | null)?.type === 'email');
    expect(await address.getAttribute('autocomplete')).toBe('email');

    // The server's own words for a bad address.
    await address.fill('not-an-address');
    await section.getByRole('button', { name: 'Send Code' }).click();
    await section.getByRole('alert').filter({ hasText: 'Enter a valid email address.' }).waitFor();

    await address.fill('erin.new@example.com');
    await section.getByRole('button', { name: 'Send Code' }).click();
    await section.getByText('A code was sent to e***@example.com.').waitFor();
    const code = section.getByLabel('Authentication Code');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('numeric');
    await expectFocused(code);
    // Nothing changes before the code comes back.
    expect((await me()).email).toBe('erin@example.com');
    await checkA11y(page, 'email change code');
    await screenshot(page, 'extras-06-email-code-sent');

    const mailed = await readMailedCode(harness, 'erin.new@example.com');
    const wrong = mailed === '000000' ? '111111' : '000000';
    await code.fill(wrong);
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('alert').filter({ hasText: 'The code is incorrect or has expired. Ask for a new one.' }).waitFor();
    expect((await me()).email).toBe('erin@example.com');
    await checkA11y(page, 'email change wrong code');

    await code.fill(mailed);
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await section.getByText('erin.new@example.com').waitFor();
    await section.getByText('Verified', { exact: true }).waitFor();
    expect(await section.getByLabel('New Email Address').count()).toBe(0);
    await expectFocused(change);
    const after = await me();
    expect(after.email).toBe('erin.new@example.com');
    expect(after.emailVerified).toBe(true);
    // The change never touched two-factor.
    expect(after.twoFactor.enabled).toBe(true);
    await checkA11y(page, 'email changed');
    await screenshot(page, 'extras-07-email-changed');

    await page.reload();
    await section.getByText('erin.new@example.com').waitFor();
    await section.getByText('Verified', { exact: true }).waitFor();
  }, 60_000);

  it('lays the new sections out for a phone, in the same session', async () => {
    const phone = await harness.browser.newContext({
      baseURL: harness.url,
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 1,
      storageState: await erin.context.storageState(),
    });
    const page = await phone.newPage();
    await page.goto('/account/security');
    await page.getByRole('region', { name: 'Recovery Codes' }).getByText('9 recovery codes left').waitFor();
    await page.getByRole('region', { name: 'Email Address' }).getByText('erin.new@example.com').waitFor();
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await checkA11y(page, 'security settings extras (phone)');
    await screenshot(page, 'extras-08-phone');
    await phone.close();
  });
});

// At 1280x800: an administrator with two-factor on gives the Password window a current code too,
// and within its 5 minutes further administrative changes need no second confirmation.
describe('administration by an administrator with two-factor on', () => {
  let harness: Harness;
  let root: Tab;

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(
      harness,
      { username: 'root', password: 'root-password-1', displayName: 'Root', role: 'admin' },
      { username: 'frank', password: 'frank-password-1' },
    );
    root = await openTab(harness, DESKTOP);
  });

  afterAll(async () => {
    expect(root?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  /** Turns on authenticator two-factor through the API, as a desktop client would. */
  const enableTOTP = async (username: string, password: string): Promise<Authenticator> => {
    const token = await apiToken(harness, username, password);
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    const app = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await app.nextCode() }, token);
    return app;
  };

  it('asks for the password and a current code before creating an account', async () => {
    const rootApp = await enableTOTP('root', 'root-password-1');
    await enableTOTP('frank', 'frank-password-1');
    const { page } = root;
    const usernames = async (): Promise<string[]> =>
      ((await (await page.request.get('/api/v1/admin/users')).json()) as { users: { username: string }[] }).users.map((u) => u.username).sort();

    await page.goto('/admin');
    await logIn(page, 'root', 'root-password-1');
    await page.getByLabel('Authentication Code').fill(await rootApp.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL('**/admin');
    await page.getByRole('row', { name: /frank/ }).getByText('On · Authenticator').waitFor();
    // Two rows with the button (one of them "(you)"): each lies whole inside the card at 1280x800.
    const buttons = page.getByRole('button', { name: 'Disable Two-Factor Authentication' });
    expect(await buttons.count()).toBe(2);
    for (const button of await buttons.all()) await expectInside(button, page.getByRole('region', { name: 'Accounts' }), 'Disable button');

    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Initial Password').fill('grace-password-1');
    await page.getByRole('button', { name: 'Create Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.waitFor();
    const code = dialog.getByLabel('Authentication Code');
    expect(await code.isVisible()).toBe(true);
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await checkA11y(page, 'administration password dialog with code');

    // The password alone is not enough.
    await dialog.getByLabel('Password', { exact: true }).fill('root-password-1');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Enter the 6-digit authentication code, or a recovery code.' }).waitFor();

    // A wrong code: an error, and no account.
    await code.fill(rootApp.wrongCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The authentication code is incorrect.' }).waitFor();
    expect(await usernames()).toEqual(['admin', 'frank', 'root']);
    await screenshot(page, 'extras-09-admin-password-and-code');

    await code.fill(await rootApp.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Account grace created.' }).waitFor();
    expect(await usernames()).toEqual(['admin', 'frank', 'grace', 'root']);

    // Within the window's 5 minutes the next change goes straight through, after its own confirmation.
    const row = page.getByRole('row', { name: /frank/ });
    await row.getByRole('button', { name: 'Disable Two-Factor Authentication' }).click();
    await page.getByRole('dialog', { name: 'Disable Two-Factor Authentication' }).getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await row.getByText('Off').waitFor();
    expect(await dialog.count()).toBe(0);
  }, 90_000);
});
