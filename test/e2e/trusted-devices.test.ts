import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, DESKTOP, apiToken, callApi, checkA11y, createAccounts, logIn, logOut, openTab, screenshot, startHarness, type Harness, type Tab } from './helpers.ts';

// At 1280x800 (issue 11): hana ticks "Trust this device for 180 days" at the code step; after
// logging out, her password alone logs her in on this browser. She removes the device under
// Security Settings, and the next login asks for the code again.
describe('trusting this browser', () => {
  let harness: Harness;
  let tab: Tab;
  const password = 'hana-password-1';

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(harness, { username: 'hana', password, displayName: 'Hana' });
    tab = await openTab(harness, DESKTOP);
  });

  afterAll(async () => {
    expect(tab?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  it('skips the code on a trusted browser, lists it as This device, and asks again once it is removed', async () => {
    const token = await apiToken(harness, 'hana', password);
    await callApi(harness, 'POST', '/api/v1/me/reauth', { password }, token);
    const setup = await callApi<{ secret: string }>(harness, 'POST', '/api/v1/me/two-factor/totp/setup', {}, token);
    const app = new Authenticator(setup.secret);
    await callApi(harness, 'POST', '/api/v1/me/two-factor/totp/enable', { code: await app.nextCode() }, token);

    const { page } = tab;
    await page.goto('/login');
    await logIn(page, 'hana', password);
    const trust = page.getByRole('checkbox', { name: 'Trust this device for 180 days' });
    await trust.waitFor();
    expect(await trust.isChecked()).toBe(false);
    await checkA11y(page, 'code step with Trust this device');
    await trust.check();
    await page.getByLabel('Authentication Code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    // The device credential is an HttpOnly cookie for the sign-in routes only.
    const cookie = (await tab.context.cookies()).find((c) => c.name === 'twofold_device');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('twofold_device');

    await logOut(page, 'hana');
    await logIn(page, 'hana', password);
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    expect(await page.getByLabel('Authentication Code').count()).toBe(0);
    const me = (await (await page.request.get('/api/v1/me')).json()) as { session: { secondFactor: string } };
    expect(me.session.secondFactor).toBe('trusted_device');

    await page.goto('/account/security');
    const section = page.getByRole('region', { name: 'Trusted devices' });
    await section.getByText('This device').waitFor();
    await checkA11y(page, 'security settings with a trusted device');
    await screenshot(page, 'trusted-devices-desktop');
    await section.getByRole('button', { name: /^Remove\b/ }).first().click();
    await section.getByText('No trusted devices.').waitFor();

    await logOut(page, 'hana');
    await logIn(page, 'hana', password);
    await page.getByLabel('Authentication Code').waitFor();
    await page.getByLabel('Authentication Code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  });
});
