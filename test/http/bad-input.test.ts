import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, adminToken, body, createTestEnvironment, createUser, loginToken, post, startTestApp, totpCode, type TestApp, createTestClock } from '../support/harness.ts';
import { answerChallenge, enrollTOTP, snapshotTables, startChallenge } from '../support/security.ts';

// Whatever a client sends, the answer is a 4xx JSON error with a message and no internals, and
// nothing stored changes. Every case here is refused at the HTTP edge, before any flow runs, so
// not even an attempt counter may move.

interface Endpoint {
  name: string;
  method: 'POST' | 'PUT';
  url: string;
  token: () => string | undefined;
  /** A body of the right shape (never sent as is: each case breaks one thing). */
  valid: () => Record<string, string>;
  required: string[];
  /** Fields for which null is a legitimate value (so not a bad-input case). */
  nullable?: string[];
  codeField?: string;
}

interface Case {
  label: string;
  payload: string | Buffer;
  contentType: string | null;
  status: number;
  code: string;
}

const ODD_CODES = ['123456abc', ' 123456', '123456 ', '１２３４５６', '123456\n', '12345', '1234567', '', '12 34 56', '-12345', '1e5000'];

function casesFor(endpoint: Endpoint): Case[] {
  const json = (label: string, value: unknown, status = 400, code = 'validation_error'): Case => ({
    label,
    payload: JSON.stringify(value),
    contentType: 'application/json',
    status,
    code,
  });
  const valid = endpoint.valid();
  const cases: Case[] = [
    { label: 'malformed JSON', payload: '{"password": "x",', contentType: 'application/json', status: 400, code: 'validation_error' },
    { label: 'single-quoted JSON', payload: "{'password': 'x'}", contentType: 'application/json', status: 400, code: 'validation_error' },
    { label: 'empty JSON body', payload: '', contentType: 'application/json', status: 400, code: 'validation_error' },
    json('null body', null),
    json('array body', [valid]),
    json('string body', 'hello'),
    json('number body', 123456),
    json('empty object', {}),
    json('unknown extra field', { ...valid, isAdmin: true }),
    {
      label: '__proto__ pollution',
      payload: `{"__proto__":{"role":"admin","isAdmin":true},${JSON.stringify(valid).slice(1)}`,
      contentType: 'application/json',
      status: 400,
      code: 'validation_error',
    },
    {
      label: 'constructor.prototype pollution',
      payload: `{"constructor":{"prototype":{"role":"admin"}},${JSON.stringify(valid).slice(1)}`,
      contentType: 'application/json',
      status: 400,
      code: 'validation_error',
    },
    {
      label: 'body over 16 KiB',
      payload: JSON.stringify({ ...valid, padding: 'x'.repeat(17 * 1024) }),
      contentType: 'application/json',
      status: 413,
      code: 'payload_too_large',
    },
    {
      label: 'form-encoded body',
      payload: new URLSearchParams(valid).toString(),
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'unsupported_media_type',
    },
    { label: 'no content type', payload: Buffer.from(JSON.stringify(valid)), contentType: null, status: 415, code: 'unsupported_media_type' },
    { label: 'XML body', payload: '<login/>', contentType: 'application/xml', status: 415, code: 'unsupported_media_type' },
  ];
  for (const field of Object.keys(valid)) {
    cases.push(json(`${field} as a number`, { ...valid, [field]: 123456 }));
    if (!endpoint.nullable?.includes(field)) cases.push(json(`${field} as null`, { ...valid, [field]: null }));
    cases.push(json(`${field} as an array`, { ...valid, [field]: [valid[field]] }));
    cases.push(json(`${field} as an object`, { ...valid, [field]: { value: valid[field] } }));
    cases.push(json(`${field} as a boolean`, { ...valid, [field]: true }));
  }
  for (const field of endpoint.required) {
    const { [field]: _dropped, ...rest } = valid;
    cases.push(json(`${field} missing`, rest));
  }
  if (endpoint.codeField) {
    for (const code of ODD_CODES) cases.push(json(`${endpoint.codeField} ${JSON.stringify(code)}`, { ...valid, [endpoint.codeField]: code }));
  }
  return cases;
}

function summary(response: LightMyRequestResponse) {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    parsed = response.body;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    status: response.statusCode,
    json: /^application\/json/.test(String(response.headers['content-type'])),
    keys: parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : parsed,
    code: error?.code,
    hasMessage: typeof error?.message === 'string' && error.message.trim().length > 0,
    // `message` is documented as safe to show: a validator's wording must never get there (issue 13 #6).
    validatorWording: typeof error?.message === 'string' && /\bmust (NOT )?(have|match|be equal)|\b(body|querystring|params)\/|instancePath|schema/i.test(error.message),
    leaksInternals: /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+|Error: /.test(response.body),
  };
}

describe.each(DIALECTS)('bad input (%s)', (dialect) => {
  const clock = createTestClock(Date.now());
  let t: TestApp;
  let admin: string;
  /** Has TOTP on and an open login challenge. */
  let enrolled: { username: string; password: string; token: string; secret: string; challengeId: string };
  /** Has a pending authenticator setup, ready for `enable`. */
  let enrolling: { password: string; token: string; secret: string };

  beforeAll(async () => {
    t = await startTestApp(createTestEnvironment(dialect), { clock });
    admin = await adminToken(t.app);
    const a = await createUser(t.app);
    const aToken = await loginToken(t.app, a.username, a.password);
    const { secret } = await enrollTOTP(t.app, aToken, a.password);
    enrolled = { ...a, token: aToken, secret, challengeId: await startChallenge(t.app, a.username, a.password) };

    const b = await createUser(t.app);
    const bToken = await loginToken(t.app, b.username, b.password);
    expect((await post(t.app, '/api/v1/me/reauth', { password: b.password }, bToken)).statusCode).toBe(200);
    const setup = await post(t.app, '/api/v1/me/two-factor/totp/setup', {}, bToken);
    enrolling = { password: b.password, token: bToken, secret: body<{ secret: string }>(setup).secret };
  });
  afterAll(async () => {
    await t.close();
  });

  const endpoints: Endpoint[] = [
    {
      name: 'POST /api/v1/auth/login',
      method: 'POST',
      url: '/api/v1/auth/login',
      token: () => undefined,
      valid: () => ({ username: enrolled.username, password: enrolled.password, client: 'web' }),
      required: ['username', 'password', 'client'],
    },
    {
      name: 'POST /api/v1/auth/login/second-factor',
      method: 'POST',
      url: '/api/v1/auth/login/second-factor',
      token: () => undefined,
      valid: () => ({ challengeId: enrolled.challengeId, method: 'totp', code: totpCode(enrolled.secret, 0, clock()) }),
      required: ['challengeId', 'method', 'code'],
      codeField: 'code',
    },
    {
      name: 'POST /api/v1/me/reauth',
      method: 'POST',
      url: '/api/v1/me/reauth',
      token: () => enrolled.token,
      valid: () => ({ password: enrolled.password, code: totpCode(enrolled.secret, 0, clock()) }),
      required: ['password'],
      codeField: 'code',
    },
    {
      name: 'POST /api/v1/me/two-factor/totp/enable',
      method: 'POST',
      url: '/api/v1/me/two-factor/totp/enable',
      token: () => enrolling.token,
      valid: () => ({ code: totpCode(enrolling.secret, 0, clock()) }),
      required: ['code'],
      codeField: 'code',
    },
    {
      name: 'POST /api/v1/admin/users',
      method: 'POST',
      url: '/api/v1/admin/users',
      token: () => admin,
      valid: () => ({ username: 'new-user-9', password: 'a-good-password', displayName: 'New', email: 'new@example.com', role: 'user' }),
      required: ['username', 'password'],
      nullable: ['email'],
    },
    {
      name: 'PUT /api/v1/me/password',
      method: 'PUT',
      url: '/api/v1/me/password',
      token: () => enrolled.token,
      valid: () => ({ currentPassword: enrolled.password, newPassword: 'another-good-password' }),
      required: ['currentPassword', 'newPassword'],
    },
  ];

  for (const endpoint of endpoints) {
    it(`${endpoint.name}: every malformed body is a 4xx JSON error and changes nothing`, async () => {
      const before = await snapshotTables(t);
      const cases = casesFor(endpoint);
      expect(cases.length).toBeGreaterThan(25);
      for (const c of cases) {
        const token = endpoint.token();
        const response = await t.app.inject({
          method: endpoint.method,
          url: endpoint.url,
          payload: c.payload,
          headers: {
            ...(c.contentType === null ? {} : { 'content-type': c.contentType }),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        });
        expect({ case: c.label, ...summary(response) }).toEqual({
          case: c.label,
          status: c.status,
          json: true,
          keys: ['error'],
          code: c.code,
          hasMessage: true,
          validatorWording: false,
          leaksInternals: false,
        });
        // Compared after every case, so a failure names the body that changed something.
        expect({ case: c.label, tables: await snapshotTables(t) }).toEqual({ case: c.label, tables: before });
      }
      // Nothing reached a flow: the pollution attempts did not leak onto objects either.
      expect(({} as Record<string, unknown>).role).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  }

  it('answers an empty login with a sentence and the field, as every client may show it', async () => {
    const empty = await post(t.app, '/api/v1/auth/login', { username: '', password: '', client: 'web' });
    expect(body(empty)).toEqual({ error: { code: 'validation_error', message: 'Enter your username.', field: 'username' } });
    const noPassword = await post(t.app, '/api/v1/auth/login', { username: 'someone', client: 'web' });
    expect(body(noPassword)).toEqual({ error: { code: 'validation_error', message: 'Enter your password.', field: 'password' } });
  });

  it('names the unknown field and the wrongly typed one in the message', async () => {
    const extra = await post(t.app, '/api/v1/auth/login', { username: 'x', password: 'y', client: 'web', role: 'admin' });
    expect(body<{ error: { message: string } }>(extra).error.message).toContain('role');
    const typed = await post(t.app, '/api/v1/auth/login/second-factor', { challengeId: enrolled.challengeId, method: 'totp', code: 123456 });
    expect(typed.statusCode).toBe(400);
    expect(body<{ error: { message: string } }>(typed).error.message).toMatch(/code/);
  });

  it('answers text/plain with 415 (a cross-site form cannot smuggle JSON in) and changes nothing', async () => {
    const before = await snapshotTables(t);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: JSON.stringify({ username: enrolled.username, password: enrolled.password, client: 'web' }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(summary(response)).toMatchObject({ status: 415, code: 'unsupported_media_type', json: true, keys: ['error'], hasMessage: true, leaksInternals: false });
    expect(await snapshotTables(t)).toEqual(before);
  });

  it('rejects at the flow a well-formed but unacceptable body, still storing nothing', async () => {
    const before = await snapshotTables(t);
    const weak = await post(t.app, '/api/v1/admin/users', { username: 'weak-one', password: 'short' }, admin);
    expect(summary(weak)).toMatchObject({ status: 400, code: 'validation_error', hasMessage: true, leaksInternals: false });
    const control = await post(t.app, '/api/v1/admin/users', { username: 'bad\u0000name', password: 'a-good-password' }, admin);
    expect(summary(control)).toMatchObject({ status: 400, code: 'validation_error', hasMessage: true, leaksInternals: false });
    const weakNew = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      payload: { currentPassword: enrolled.password, newPassword: 'short' },
      headers: { authorization: `Bearer ${enrolled.token}` },
    });
    expect(summary(weakNew)).toMatchObject({ status: 400, code: 'validation_error', hasMessage: true });
    expect(await snapshotTables(t)).toEqual(before);
  });

  it('still accepts the untouched challenge and pending setup afterwards (no attempt was spent)', async () => {
    const challenge = await t.services.database.db.selectFrom('login_challenges').select(['attempts', 'consumed_at']).execute();
    expect(challenge.every((c) => Number(c.attempts) === 0 && c.consumed_at === null)).toBe(true);
    const ok = await answerChallenge(t.app, enrolled.challengeId, totpCode(enrolled.secret, 0, clock()));
    expect(ok.statusCode).toBe(200);
    const enable = await post(t.app, '/api/v1/me/two-factor/totp/enable', { code: totpCode(enrolling.secret, 0, clock()) }, enrolling.token);
    expect(enable.statusCode).toBe(200);
    expect(body(enable)).toMatchObject({ message: 'Edited successfully.' });
  });
});
