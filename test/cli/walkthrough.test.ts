import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ADMIN_PASSWORD, createTestEnvironment } from '../support/harness.ts';
import { REPO_ROOT, startInstance } from '../support/processes.ts';

// The "done" check, as an operator would run it: curl and Debian's oathtool against a
// real server process (on the real clock, so the script's "next step" code is used once).
it('passes the curl + oathtool walkthrough against a running server', async () => {
  const environment = createTestEnvironment('sqlite');
  const instance = await startInstance(environment.env);
  try {
    const result = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/walkthrough.sh'), instance.url, ADMIN_PASSWORD], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('walkthrough complete');
    expect(result.stdout.match(/^ok {3}/gm)?.length).toBe(11);
    expect(result.status).toBe(0);
  } finally {
    await instance.stop();
    await environment.dropDatabase();
  }
});
