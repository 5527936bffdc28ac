import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DESKTOP,
  PHONE,
  checkA11y,
  createAccounts,
  expectInside,
  logIn,
  openTab,
  screenshot,
  startHarness,
  type Harness,
  type Tab,
} from './helpers.ts';

// At 1280x800: ten wrong passwords from a desktop client lock erin's sign-in; the administrator
// sees the lock in Administration, lifts it with Unlock (through the Password window), and erin
// can log in again with her right password.
describe('unlocking an account locked by wrong passwords', () => {
  let harness: Harness;
  let admin: Tab;
  const password = 'erin-password-1';

  beforeAll(async () => {
    harness = await startHarness();
    await createAccounts(harness, { username: 'erin', password, displayName: 'Erin' }, { username: 'frank', password: 'frank-password-1' });
    admin = await openTab(harness, DESKTOP);
  });

  afterAll(async () => {
    expect(admin?.cspErrors ?? []).toEqual([]);
    await harness?.stop();
  });

  /** A desktop client's login through the API, whatever the answer. */
  const login = async (username: string, attempt: string): Promise<{ status: number; body: { status?: string; token?: string; error?: { code: string } } }> => {
    const response = await fetch(`${harness.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: attempt, client: 'desktop' }),
    });
    return { status: response.status, body: (await response.json()) as { status?: string; token?: string; error?: { code: string } } };
  };
  /** erin's locks as the server has them, seen from the administrator's session. */
  const erinLocks = async (page: Tab['page']): Promise<{ passwordLockedUntil: string | null; secondFactorLockedUntil: string | null } | undefined> =>
    (
      (await (await page.request.get('/api/v1/admin/users')).json()) as {
        users: { username: string; passwordLockedUntil: string | null; secondFactorLockedUntil: string | null }[];
      }
    ).users.find((u) => u.username === 'erin');
  const expectFocused = async (locator: ReturnType<Tab['page']['locator']>): Promise<void> => {
    await expect.poll(() => locator.evaluate((el) => el === document.activeElement), { timeout: 2_000 }).toBe(true);
  };

  it('shows the sign-in lock, lifts it with Unlock, and erin logs in again', async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await login('erin', `not-erins-password-${i}`);
      expect(wrong.status, `wrong login ${i + 1}`).toBe(401);
      expect(wrong.body.error?.code).toBe('invalid_credentials');
    }
    // Locked: now even the right password is turned away.
    const refused = await login('erin', password);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('too_many_attempts');

    const { page } = admin;
    await page.goto('/admin');
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/admin');
    const accounts = page.getByRole('region', { name: 'Accounts' });
    const row = page.getByRole('row', { name: /erin/ });
    const lock = row.getByText(/^Sign-in locked until \d{1,2}:\d{2}/);
    await lock.waitFor();
    // Only the password is locked: no code-entry lock, and no lock or Unlock on frank's row.
    expect(await row.getByText(/Code entry locked until/).count()).toBe(0);
    expect(await page.getByRole('row', { name: /frank/ }).getByText(/locked until/i).count()).toBe(0);
    const unlock = page.getByRole('button', { name: 'Unlock' });
    expect(await unlock.count()).toBe(1);
    expect(await row.getByRole('button', { name: 'Unlock' }).count()).toBe(1);
    // The button says what it lifts: the lock line is its description.
    const describedBy = await unlock.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/^Sign-in locked until/);
    await expectInside(unlock, accounts, 'Unlock button in the Accounts card');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(DESKTOP.width);
    await checkA11y(page, 'administration with a locked account');
    await screenshot(page, 'unlock-01-sign-in-locked');

    // At phone width the row is a card, and the lock line and the button still fit in it.
    await page.setViewportSize(PHONE);
    await expectInside(lock, accounts, 'lock line (phone width)');
    await expectInside(unlock, accounts, 'Unlock button (phone width)');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await checkA11y(page, 'administration with a locked account (phone width)');
    await screenshot(page, 'unlock-02-sign-in-locked-phone-width');
    await page.setViewportSize(DESKTOP);

    // The administrator just logged in: the Password window comes first. Cancel changes nothing.
    const dialog = page.getByRole('dialog', { name: 'Password' });
    await unlock.click();
    await dialog.waitFor();
    await expectFocused(dialog.getByLabel('Password', { exact: true }));
    await checkA11y(page, 'unlock password dialog');
    await screenshot(page, 'unlock-03-password-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectFocused(unlock);
    await lock.waitFor();
    expect((await erinLocks(page))?.passwordLockedUntil).not.toBeNull();

    await unlock.click();
    await dialog.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Edited successfully.' }).waitFor();
    // The list is loaded again: no lock line, no Unlock, and focus stays on erin's row.
    await expect.poll(() => row.getByText(/locked until/i).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Unlock' }).count()).toBe(0);
    await expectFocused(row.getByRole('rowheader'));
    expect(await erinLocks(page)).toMatchObject({ passwordLockedUntil: null, secondFactorLockedUntil: null });
    await checkA11y(page, 'administration after unlocking');
    await screenshot(page, 'unlock-04-unlocked');

    // erin's right password works again.
    const allowed = await login('erin', password);
    expect(allowed.status).toBe(200);
    expect(allowed.body.status).toBe('ok');
    expect(allowed.body.token).toBeTruthy();
  }, 90_000);
});
