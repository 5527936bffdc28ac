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
  openAccountMenu,
  openTab,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';
import { addVirtualAuthenticator, type VirtualAuthenticator } from './virtual-authenticator.ts';

// Passkeys through Chromium's own WebAuthn stack, with the DevTools virtual authenticator as the
// platform authenticator (resident keys, user verification): add one in Security Settings, log in
// with password + key, log in with the key alone, remove it. The server's public URL is
// http://localhost:<port> (an RP ID must be a host name), and the page is opened there.
describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const)('passkeys in the web client (%s)', (size, viewport) => {
  let harness: Harness;
  let tab: Tab;
  let key: VirtualAuthenticator;
  let app: Authenticator;
  const username = `pat-${size}`;
  const password = 'pat-password-123';
  const shot = (name: string) => screenshot(tab.page, `passkeys-${size}-${name}`);

  beforeAll(async () => {
    harness = await startHarness({ publicHost: 'localhost' });
    expect(harness.url).toMatch(/^http:\/\/localhost:\d+$/);
    await createAccounts(harness, { username, password, displayName: 'Pat' });
    // An authenticator app first (through the API, as a desktop client would), so the passkey is
    // an added authenticator that can later be removed again.
    const token = await apiToken(harness, username, password);
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    app = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await app.nextCode() }, token);
    tab = await openTab(harness, viewport);
    key = await addVirtualAuthenticator(tab.page, { hasResidentKey: true, hasUserVerification: true, isUserVerified: true, transport: 'internal' });
  });

  afterAll(async () => {
    expect(tab?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  it('adds a passkey in Security Settings', async () => {
    const { page } = tab;
    await page.goto('/login');
    await logIn(page, username, password);
    await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
    await page.getByLabel('Authentication Code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();

    // Security Settings > Add authenticator > "Passkey or security key".
    await page.goto('/account/security');
    const section = page.getByRole('region', { name: 'Authenticators' });
    await section.getByRole('listitem').first().waitFor();
    await section.getByRole('button', { name: 'Add authenticator' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(await app.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await section.getByRole('button', { name: 'Passkey or security key' }).click();

    await section.getByLabel('Name').fill('Laptop');
    await checkA11y(page, `add passkey (${size})`);
    await shot('01-add');
    await section.getByRole('button', { name: 'Add passkey' }).click();
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await section.getByRole('listitem').filter({ hasText: 'Laptop' }).filter({ hasText: 'Passkey or security key' }).waitFor();
    await shot('02-added');

    const credentials = await key.credentials();
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
  });

  it('offers the passkey in the Username field: the autofill request logs in with it (conditional mediation)', async () => {
    const { page } = tab;
    // Logging out lands on Log In, whose autofill request the virtual authenticator answers at once
    // (a person would pick the passkey from the Username field's suggestions).
    await openAccountMenu(page, username);
    await page.getByRole('menuitem', { name: 'Log Out' }).click();
    await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();
    expect(await page.getByLabel('Username').count()).toBe(0);
    const me = (await (await page.request.get('/api/v1/me')).json()) as { session: { amr: string[] } };
    expect(me.session.amr).toEqual(['swk', 'user', 'mfa']);
  });

  it('logs in with the password and the key, offered first', async () => {
    const { page } = tab;
    await key.setPresence(false);
    await logOut(page, username);
    expect(await page.getByLabel('Username').getAttribute('autocomplete')).toBe('username webauthn');
    await logIn(page, username, password);
    const useKey = page.getByRole('button', { name: 'Use your passkey or security key' });
    await useKey.waitFor();
    await key.setPresence(true);
    // The other methods stay a click away.
    await page.getByRole('button', { name: 'Use an authentication code instead' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).waitFor();
    await checkA11y(page, `second step with a key (${size})`);
    await shot('03-second-step');
    await useKey.click();
    await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();
    const me = (await (await page.request.get('/api/v1/me')).json()) as { session: { amr: string[] } };
    expect(me.session.amr).toEqual(['pwd', 'swk', 'mfa']);
    expect((await key.credentials())[0]!.signCount).toBeGreaterThanOrEqual(2);
  });

  it('logs in with the passkey alone, without a password', async () => {
    const { page } = tab;
    await key.setPresence(false);
    await logOut(page, username);
    await checkA11y(page, `log in with passkey (${size})`);
    await shot('04-log-in');
    await key.setPresence(true);
    // The autofill request from before stays unanswered: it is the button's own prompt that logs in.
    await page.waitForTimeout(500);
    expect(await page.getByLabel('Username').count()).toBe(1);
    await page.getByRole('button', { name: 'Log in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();
    await shot('05-home');
    const me = (await (await page.request.get('/api/v1/me')).json()) as { session: { amr: string[]; client: string } };
    expect(me.session).toMatchObject({ client: 'web', amr: ['swk', 'user', 'mfa'] });
  });

  it('removes the passkey, after which it logs in no more', async () => {
    const { page } = tab;
    await page.goto('/account/security');
    const section = page.getByRole('region', { name: 'Authenticators' });
    await section.getByRole('button', { name: 'Remove Laptop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await dialog.getByLabel('Password', { exact: true }).fill(password);
    await dialog.getByLabel('Authentication Code').fill(await app.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await section.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    await expect.poll(() => section.getByRole('listitem').filter({ hasText: 'Laptop' }).count()).toBe(0);
    await shot('06-removed');

    await key.setPresence(false);
    await logOut(page, username);
    await key.setPresence(true);
    await page.getByRole('button', { name: 'Log in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'That passkey could not log you in.' }).waitFor();
    await shot('07-refused');
  });
});
