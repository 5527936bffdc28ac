/**
 * The limit the second step is measured against (issue 14): a bare Fastify route doing only the
 * cryptography of a second step and nothing else: JSON in, one AES-256-GCM open of a sealed TOTP
 * secret, three HMAC-SHA1 (the steps of a ±1 window) compared in constant time, and a random
 * session token out. No database, no attempt slot, no audit: what is left is what the machine
 * costs. Started by bench/second-step.ts with an IPC channel, like bench/server-process.mjs.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import Fastify from 'fastify';

const key = randomBytes(32);
const secret = randomBytes(20);
const iv = randomBytes(12);
const cipher = createCipheriv('aes-256-gcm', key, iv);
const sealed = Buffer.concat([cipher.update(secret), cipher.final()]);
const tag = cipher.getAuthTag();

function code(totpKey, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', totpKey).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

const app = Fastify({ logger: false });
app.post('/second-step', {
  schema: {
    body: {
      type: 'object',
      required: ['challengeId', 'method', 'code'],
      additionalProperties: false,
      properties: { challengeId: { type: 'string', minLength: 1, maxLength: 128 }, method: { type: 'string' }, code: { type: 'string', minLength: 1, maxLength: 64 } },
    },
    response: { 200: { type: 'object', properties: { status: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } } } },
  },
}, async (request) => {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  const totpKey = Buffer.concat([decipher.update(sealed), decipher.final()]);
  const step = Math.floor(Date.now() / 30_000);
  const given = Buffer.from(request.body.code);
  let matched = false;
  for (const delta of [0, -1, 1]) {
    const expected = Buffer.from(code(totpKey, step + delta));
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  // The bench's codes are for another secret: what counts is that the three HMACs always run.
  return { status: matched ? 'ok' : 'invalid_code', token: randomBytes(32).toString('base64url'), expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ type: 'ready', url: address, startupMs: 0 });
process.on('message', (message) => {
  if (message?.type === 'stop') void app.close().finally(() => process.disconnect());
});
