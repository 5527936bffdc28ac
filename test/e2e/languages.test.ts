import type { Browser, BrowserContext, Page } from 'playwright-core';
import { IntlMessageFormat } from 'intl-messageformat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../support/catalogs.ts';
import { ADMIN_PASSWORD, Authenticator, DESKTOP, PHONE, checkA11y, createAccounts, screenshot, startHarness, type Harness } from './helpers.ts';

// The interface in the languages of its users (issue 13, Languages): the help page's flow in
// German and in Chinese, word for word from the catalogs; the language follows the browser until
// a pick (login page, account menu) that the account keeps; layouts hold at 375x812 in every language.
const LANGUAGES = ['en', 'de', 'fr', 'es', 'zh-CN'] as const;
type Language = (typeof LANGUAGES)[number];
const BROWSER_LOCALE: Record<Language, string> = { en: 'en-US', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', 'zh-CN': 'zh-CN' };
const TIME_ZONE: Record<Language, string> = { en: 'America/New_York', de: 'Europe/Berlin', fr: 'Europe/Paris', es: 'Europe/Madrid', 'zh-CN': 'Asia/Shanghai' };

const catalogs = Object.fromEntries(LANGUAGES.map((language) => [language, { web: readCatalog(language, 'web'), server: readCatalog(language, 'server') }]));

/** What the client shows for `key` in `language`, as the catalogs say (so the test reads like the help page). */
function tr(language: Language, key: string, values: Record<string, string | number> = {}, namespace: 'web' | 'server' = 'web'): string {
  const message = catalogs[language]![namespace][key];
  if (message === undefined) throw new Error(`no ${namespace} message ${JSON.stringify(key)}`);
  return String(new IntlMessageFormat(message, language, undefined, { ignoreTag: true }).format(values)).replace(/<\/?b>/g, '');
}

async function browserIn(browser: Browser, harness: Harness, language: Language, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const phone = viewport.width < 600;
  // The browser's own language and time zone, as a user there has them (navigator.languages, Accept-Language).
  const context = await browser.newContext({
    baseURL: harness.url,
    viewport,
    isMobile: phone,
    hasTouch: phone,
    deviceScaleFactor: 1,
    locale: BROWSER_LOCALE[language],
    timezoneId: TIME_ZONE[language],
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  // Two cores shared with the other e2e file and its server: a first paint may take a while.
  context.setDefaultTimeout(20_000);
  return { context, page: await context.newPage() };
}

async function logInAs(page: Page, language: Language, username: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: tr(language, 'Log In'), exact: true }).waitFor();
  await page.getByLabel(tr(language, 'Username'), { exact: true }).fill(username);
  await page.getByLabel(tr(language, 'Password'), { exact: true }).fill(password);
  await page.getByRole('button', { name: tr(language, 'Log In'), exact: true }).click();
}

async function openMenu(page: Page, username: string): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: username }).click();
  await page.getByRole('menu').waitFor();
}

async function me(page: Page): Promise<{ language: string | null; twoFactor: { enabled: boolean } }> {
  return (await (await page.request.get('/api/v1/me')).json()) as { language: string | null; twoFactor: { enabled: boolean } };
}

describe('the web client in the languages of its users', () => {
  let harness: Harness;
  const contexts: BrowserContext[] = [];
  const accounts = { de: 'lena', 'zh-CN': 'wei', picker: 'pat' } as const;
  const password = 'a-long-password-1';

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(
      harness,
      { username: accounts.de, password, displayName: 'Lena Schäfer' },
      { username: accounts['zh-CN'], password, displayName: '王伟' },
      { username: accounts.picker, password, displayName: 'Pat' },
    );
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await harness?.stop();
  });

  it.each(['de', 'zh-CN'] as const)('runs the help page flow in %s: Can\'t scan, Save, Log Out, Log In with the code', async (language) => {
    const username = accounts[language];
    const { context, page } = await browserIn(harness.browser, harness, language);
    contexts.push(context);
    await page.goto('/');
    await page.waitForURL('**/login');
    // The browser's language, before anyone picks one; <html lang> follows.
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
    expect(await page.getByLabel(tr(language, 'Language')).inputValue()).toBe(language);
    expect(await page.title()).toBe(tr(language, '{title} · Twofold', { title: tr(language, 'Log In') }));
    await checkA11y(page, `login (${language})`);
    await screenshot(page, `languages-${language}-01-login`);

    // An empty form is judged in the page, in the language.
    await page.getByRole('button', { name: tr(language, 'Log In'), exact: true }).click();
    await page.getByText(tr(language, 'Enter your username.'), { exact: true }).waitFor();
    await logInAs(page, language, username, password);
    const name = language === 'de' ? 'Lena Schäfer' : '王伟';
    await page.getByRole('heading', { name: tr(language, 'Welcome, {name}', { name }) }).waitFor();

    // Step 1: the account at the top-right corner > Change Password & Security > Security Settings.
    await openMenu(page, username);
    await page.getByRole('menuitem', { name: tr(language, 'Change Password & Security') }).click();
    await page.getByRole('tab', { name: tr(language, 'Security Settings') }).click();
    await page.waitForURL('**/account/security');
    // Dates and times in the user's locale and time zone: the session list's "Last active".
    const sessions = (await (await page.request.get('/api/v1/me/sessions')).json()) as { sessions: { lastSeenAt: string; current: boolean }[] };
    const lastSeen = sessions.sessions.find((s) => s.current)!.lastSeenAt;
    const clockTime = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: TIME_ZONE[language] }).format(new Date(lastSeen));
    const lastActive = page.getByText(new RegExp(tr(language, 'Last active {time}', { time: 'TIME' }).replace('TIME', '.*')));
    const shown = (await lastActive.first().textContent()) ?? '';
    expect(shown).toContain(clockTime);
    expect(shown).toMatch(language === 'de' ? /\d{1,2}\.\d{1,2}\.\d{4}|\d{1,2}\. \p{L}+\.? \d{4}/u : /\d{4}年\d{1,2}月\d{1,2}日/);

    // Steps 2-3: the checkbox, the Password window, Confirm.
    const checkbox = page.getByRole('checkbox', { name: tr(language, 'Two-Factor Authentication') });
    await checkbox.click();
    const dialog = page.getByRole('dialog', { name: tr(language, 'Password') });
    await dialog.waitFor();
    await dialog.getByLabel(tr(language, 'Password'), { exact: true }).fill('not-the-password');
    await dialog.getByRole('button', { name: tr(language, 'Confirm'), exact: true }).click();
    // The server's own message, in the language of the interface.
    await dialog.getByRole('alert').filter({ hasText: tr(language, 'The password is incorrect.', {}, 'server') }).waitFor();
    await dialog.getByLabel(tr(language, 'Password'), { exact: true }).fill(password);
    await dialog.getByRole('button', { name: tr(language, 'Confirm'), exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    // Step 4: Authenticated by Authenticator. Step 5: "Can't scan" shows the secret key.
    await page.getByRole('radio', { name: tr(language, 'Authenticated by Authenticator') }).check();
    await page.getByRole('img', { name: tr(language, 'QR code that adds the Twofold account {username} to an authenticator app', { username }) }).waitFor();
    await page.getByRole('link', { name: tr(language, "Can't scan") }).click();
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.getByText(tr(language, 'In the authenticator app, choose to add an account manually, enter <b>{username}</b> as the account and paste this key. If the app asks for more settings: algorithm <b>{algorithm}</b>, <b>{digits}</b>-digit codes, interval <b>{period}</b> seconds.', { username, algorithm: 'SHA1', digits: '6', period: '30' })).waitFor();
    await checkA11y(page, `authenticator setup (${language})`);
    await screenshot(page, `languages-${language}-02-cant-scan`);
    const authenticator = new Authenticator(secret);

    // Steps 6-7: the code in Authentication Code, Save; a wrong one first, answered in the language.
    const codeField = page.getByLabel(tr(language, 'Authentication Code'));
    await codeField.fill(authenticator.wrongCode());
    await page.getByRole('button', { name: tr(language, 'Save'), exact: true }).click();
    await page.getByRole('alert').filter({ hasText: tr(language, 'The authentication code is incorrect. Check the time on your phone and try again.', {}, 'server') }).waitFor();
    await codeField.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: tr(language, 'Save'), exact: true }).click();
    // The result: "Edited successfully.", in the language.
    await page.getByRole('status').filter({ hasText: tr(language, 'Edited successfully.') }).waitFor();
    expect(tr(language, 'Edited successfully.', {}, 'server')).toBe(tr(language, 'Edited successfully.'));
    await page.getByRole('region', { name: tr(language, 'Save your recovery codes') }).waitFor();
    await screenshot(page, `languages-${language}-03-edited-successfully`);
    await page.getByRole('button', { name: tr(language, 'I have saved them') }).click();
    expect((await me(page)).twoFactor.enabled).toBe(true);
    // Nobody picked a language: the account still follows the browser.
    expect((await me(page)).language).toBeNull();

    // Log out, then log in with the code.
    await openMenu(page, username);
    await page.getByRole('menuitem', { name: tr(language, 'Log Out') }).click();
    await page.waitForURL('**/login');
    await page.getByText(tr(language, 'You have logged out.')).waitFor();
    await logInAs(page, language, username, password);
    await page.getByRole('heading', { name: tr(language, 'Two-Factor Authentication') }).waitFor();
    await page.getByText(tr(language, 'Open the authenticator app on your phone and enter the 6-digit code it shows for Twofold.')).waitFor();
    await checkA11y(page, `code step (${language})`);
    await screenshot(page, `languages-${language}-04-code`);
    await page.getByLabel(tr(language, 'Authentication Code')).fill(await authenticator.nextCode());
    await page.getByRole('button', { name: tr(language, 'Verify'), exact: true }).click();
    await page.getByRole('heading', { name: tr(language, 'Welcome, {name}', { name }) }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
    await context.close();
  });

  it('keeps a pick made on the login page in that browser and saves it to the account at the next login; the account then wins everywhere', async () => {
    const username = accounts.picker;
    const german = await browserIn(harness.browser, harness, 'de');
    contexts.push(german.context);
    const { page } = german;
    await page.goto('/login');
    await page.getByRole('heading', { name: 'Anmelden', exact: true }).waitFor();
    // Français on the login page: at once, and after a reload (this browser remembers it).
    await page.getByLabel('Sprache').selectOption('fr');
    await page.getByRole('heading', { name: tr('fr', 'Log In'), exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
    await page.reload();
    await page.getByRole('heading', { name: tr('fr', 'Log In'), exact: true }).waitFor();
    // A message from the server is French too: the client asks in the interface's language.
    await logInAs(page, 'fr', username, 'wrong-password-1');
    await page.getByRole('alert').filter({ hasText: tr('fr', 'Incorrect username or password.', {}, 'server') }).waitFor();
    await logInAs(page, 'fr', username, password);
    await page.getByRole('heading', { name: tr('fr', 'Welcome, {name}', { name: 'Pat' }) }).waitFor();
    await expect.poll(async () => (await me(page)).language).toBe('fr');

    // Another browser, in English: Log In follows that browser; once logged in, the account's French.
    const english = await browserIn(harness.browser, harness, 'en');
    contexts.push(english.context);
    await english.page.goto('/login');
    await english.page.getByRole('heading', { name: 'Log In', exact: true }).waitFor();
    await logInAs(english.page, 'en', username, password);
    await english.page.getByRole('heading', { name: tr('fr', 'Welcome, {name}', { name: 'Pat' }) }).waitFor();
    expect(await english.page.evaluate(() => document.documentElement.lang)).toBe('fr');

    // The account menu's picker: Español, saved to the account, and the other browser follows on its next screen.
    await openMenu(english.page, username);
    await english.page.getByLabel(tr('fr', 'Language')).selectOption('es');
    await english.page.getByRole('heading', { name: tr('es', 'Welcome, {name}', { name: 'Pat' }) }).waitFor();
    await expect.poll(async () => (await me(english.page)).language).toBe('es');
    await page.getByRole('link', { name: tr('fr', 'Open Security Settings') }).click();
    await page.getByRole('tab', { name: tr('es', 'Security Settings') }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
  });

  /** Every visible button (and link drawn as one): its text fits its box, and the box is inside the viewport. */
  async function clippedButtons(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const problems: string[] = [];
      const width = window.innerWidth;
      for (const el of document.querySelectorAll<HTMLElement>('button, a.button, [role="tab"], select')) {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
        const label = (el.textContent ?? '').trim().slice(0, 60) || el.getAttribute('aria-label') || el.tagName;
        if (el.scrollWidth > el.clientWidth + 1) problems.push(`"${label}" is cut: text ${el.scrollWidth}px in a ${el.clientWidth}px box`);
        if (box.left < -0.5 || box.right > width + 0.5) problems.push(`"${label}" lies outside the viewport: ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
      }
      if (document.documentElement.scrollWidth > width + 1) problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px wide`);
      return problems;
    });
  }

  it.each(LANGUAGES)('holds its layout at 375x812 in %s: no clipped button on the main screens', async (language) => {
    const { context, page } = await browserIn(harness.browser, harness, language, PHONE);
    contexts.push(context);
    const problems: string[] = [];
    const check = async (screen: string): Promise<void> => {
      await page.evaluate(() => document.fonts.ready);
      for (const problem of await clippedButtons(page)) problems.push(`${screen}: ${problem}`);
      await screenshot(page, `languages-phone-${language}-${screen}`);
    };
    await page.goto('/login');
    await page.getByRole('heading', { name: tr(language, 'Log In'), exact: true }).waitFor();
    await check('01-login');
    await page.getByRole('button', { name: tr(language, 'Forgot password?') }).click();
    await page.getByRole('heading', { name: tr(language, 'Forgot Password') }).waitFor();
    await check('02-forgot-password');
    await page.getByRole('button', { name: tr(language, 'Back to Log In') }).click();
    await logInAs(page, language, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /./ }).first().waitFor();
    await page.getByRole('link', { name: tr(language, 'Open Security Settings') }).waitFor();
    await check('03-home');
    await openMenu(page, 'admin');
    await check('04-account-menu');
    await page.getByRole('menuitem', { name: tr(language, 'Change Password & Security') }).click();
    await page.getByRole('tab', { name: tr(language, 'Change Password') }).waitFor();
    await check('05-change-password');
    await page.getByRole('tab', { name: tr(language, 'Security Settings') }).click();
    const checkbox = page.getByRole('checkbox', { name: tr(language, 'Two-Factor Authentication') });
    await checkbox.waitFor();
    await check('06-security-settings');
    await checkbox.click();
    const dialog = page.getByRole('dialog', { name: tr(language, 'Password') });
    await dialog.waitFor();
    await check('07-password-window');
    await dialog.getByLabel(tr(language, 'Password'), { exact: true }).fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: tr(language, 'Confirm'), exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('radio', { name: tr(language, 'Authenticated by Authenticator') }).check();
    await page.getByRole('link', { name: tr(language, "Can't scan") }).click();
    await page.locator('#totp-secret').waitFor();
    await check('08-authenticator-setup');
    await page.getByRole('button', { name: tr(language, 'Cancel Setup') }).click();
    await page.getByRole('checkbox', { name: tr(language, 'Two-Factor Authentication') }).waitFor();
    await openMenu(page, 'admin');
    await page.getByRole('menuitem', { name: tr(language, 'Administration') }).click();
    await page.getByRole('heading', { name: tr(language, 'Accounts'), exact: true }).waitFor();
    await page.getByRole('cell', { name: accounts.picker, exact: false }).first().waitFor();
    await check('09-administration');
    await page.getByRole('button', { name: tr(language, 'Edit {username}', { username: accounts.picker }) }).click();
    await page.getByRole('dialog', { name: tr(language, 'Edit {username}', { username: accounts.picker }) }).waitFor();
    await check('10-edit-account');
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: tr(language, 'Enforce Two-factor Authentication') }).click();
    await page.getByRole('heading', { name: tr(language, 'Adoption') }).waitFor();
    await check('11-two-factor-policy');
    // Closed at once: open tabs of earlier languages would only slow the next ones down.
    await context.close();
    expect(problems).toEqual([]);
  });
});
