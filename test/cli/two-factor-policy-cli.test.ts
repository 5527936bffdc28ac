import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, body, createTestClock, createTestEnvironment, login, post, startTestApp, type TestApp } from '../support/harness.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { enableApp, expectOk } from '../support/two-factor-policy.ts';

const CLI = path.join(REPO_ROOT, 'bin/twofold.js');

function twofold(env: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// `twofold policy show|set` and `twofold user recover-2fa` call the flows on the service's data.
describe.each(DIALECTS)('twofold policy and recover-2fa (%s)', { timeout: 180_000 }, (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows and sets the policy; the running service applies it at the next login', async () => {
    expect(twofold(t.environment.env, ['policy', 'show']).stdout).toContain('Two-factor required: off; grace period 0 day(s).');
    expect(twofold(t.environment.env, ['policy', 'set', 'everyone']).status).toBe(2);
    expect(twofold(t.environment.env, ['policy', 'set', 'all', '--grace-days', '91']).status).toBe(2);
    const set = twofold(t.environment.env, ['policy', 'set', 'all', '--grace-days', '3']);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toContain('Two-factor required: all users; grace period 3 day(s).');
    // The CLI has no account to lock out: the built-in administrator is in grace now.
    expect(body<{ twoFactorRequiredBy?: string }>(await login(t.app, 'admin', 'admin-password-123')).twoFactorRequiredBy).toEqual(expect.any(String));
    expect(twofold(t.environment.env, ['policy', 'set', 'off']).status).toBe(0);
  });

  it('prints a recovery code that signs the user in once, into the setup', async () => {
    const token = body<{ token: string }>(await login(t.app, 'admin', 'admin-password-123')).token;
    expectOk(await post(t.app, '/api/v1/me/reauth', { password: 'admin-password-123' }, token));
    expectOk(await post(t.app, '/api/v1/admin/users', { username: 'cli-lost', password: 'cli-lost-password' }, token));
    const userToken = body<{ token: string }>(await login(t.app, 'cli-lost', 'cli-lost-password')).token;
    await enableApp(t.app, clock, userToken, 'cli-lost-password');
    const printed = twofold(t.environment.env, ['user', 'recover-2fa', 'cli-lost']);
    expect(printed.status, printed.stderr).toBe(0);
    const code = /: ([A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5})$/m.exec(printed.stdout)?.[1];
    expect(code).toBeDefined();
    const challenge = body<{ challengeId: string }>(await login(t.app, 'cli-lost', 'cli-lost-password')).challengeId;
    const answer = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: challenge, method: 'admin_recovery', code });
    expect(body<{ status: string }>(answer).status).toBe('two_factor_enrollment_required');
    expect(twofold(t.environment.env, ['user', 'recover-2fa', 'nobody']).stderr).toContain('No account named "nobody"');
  });
});
