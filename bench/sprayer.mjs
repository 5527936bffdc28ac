/**
 * The password sprayer of `npm run bench -- --only=flood`: a process of its own (its event loop
 * and CPU are not the measured clients'), sending wrong passwords for random extensions from
 * many loopback source addresses, one request in flight per address, paced to a total rate.
 *
 *   node bench/sprayer.mjs <baseUrl> <addresses> <requestsPerSecond> <durationMs> <name,name,...>
 *
 * The names given are hit too (the measured users' own usernames). Prints one JSON line at the end.
 */
import { Agent, request } from 'node:http';
import { setTimeout } from 'node:timers';
import { Buffer } from 'node:buffer';

const [baseUrl, addressCount, rate, durationMs, names] = process.argv.slice(2);
const addresses = Number(addressCount);
const perAddressIntervalMs = (1000 * addresses) / Number(rate);
const targets = (names ?? '').split(',').filter((n) => n !== '');
const deadline = Date.now() + Number(durationMs);
const counts = { sent: 0, byStatus: {} };

function pickUsername() {
  // One in five guesses goes to a measured user's own name; the rest to random extensions.
  if (targets.length > 0 && Math.random() < 0.2) return targets[Math.floor(Math.random() * targets.length)];
  return String(1000 + Math.floor(Math.random() * 9000));
}

function send(agent, localAddress) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ username: pickUsername(), password: `spray-${Math.random().toString(36).slice(2)}`, client: 'desktop' });
    const req = request(
      `${baseUrl}/api/v1/auth/login`,
      { method: 'POST', agent, localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function spray(index) {
  const localAddress = `127.0.${Math.floor((index + 2) / 250)}.${((index + 2) % 250) + 1}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress });
  // Spread the addresses over the first interval, so the rate is even from the start.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * perAddressIntervalMs));
  while (Date.now() < deadline) {
    const began = Date.now();
    counts.sent += 1;
    const status = await send(agent, localAddress);
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    const wait = perAddressIntervalMs - (Date.now() - began);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  agent.destroy();
}

await Promise.all(Array.from({ length: addresses }, (_, i) => spray(i)));
process.stdout.write(`${JSON.stringify(counts)}\n`);
