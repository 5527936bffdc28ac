import { setTimeout as sleep } from 'node:timers/promises';
import { masterKeyId } from '../core/secret-box.ts';
import { ACTIVE_KEY_META, HANDOFF_META_PREFIX, handoffAssociatedData, KEY_RING_POLL_MS } from './key-ring.ts';
import { writeKeyFile } from './master-key.ts';
import { resealEverySealedColumn } from './sealed-columns.ts';
import type { Services } from './services.ts';

export interface RotationReport {
  oldKeyId: string;
  newKeyId: string;
  resealed: number;
}

// Long enough for every running instance to have refreshed its ring at least twice.
const DEFAULT_GRACE_MS = 3 * KEY_RING_POLL_MS;
const MAX_PASSES = 5;

/**
 * Rotates the master key while the service runs. The order is what keeps every login working:
 *   1. publish the new key (master.key gets it as a second line, and a hand-off record in the
 *      database carries it sealed under the current key), then wait: every instance can now
 *      open values sealed with either key;
 *   2. make it the active key, then wait: every instance now seals with it;
 *   3. re-seal every sealed column (runtime/sealed-columns.ts) until a pass finds nothing left
 *      under another key;
 *   4. retire the old key: master.key holds only the new one, and the hand-off is deleted.
 * Safe to run again after an interruption at any step: the ring still holds every key needed.
 */
export async function rotateMasterKey(
  services: Services,
  options: { newKey: Buffer; graceMs?: number; log?: (line: string) => void },
): Promise<RotationReport> {
  const { store } = services.flows;
  const ring = services.keyRing;
  const box = ring.secretBox;
  const log = options.log ?? (() => {});
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const fileMode = services.masterKeySource !== 'environment';
  await ring.refresh();
  const oldKeyId = box.activeKeyId;
  const newKeyId = masterKeyId(options.newKey);
  if (newKeyId === oldKeyId) throw new Error('The new master key is the key already in use.');

  if (fileMode) writeKeyFile(services.config.dataDir, [...ring.keys(), options.newKey]);
  await store.putMeta(`${HANDOFF_META_PREFIX}${newKeyId}`, box.seal(options.newKey.toString('hex'), handoffAssociatedData(newKeyId)));
  await ring.refresh();
  if (!box.hasKey(newKeyId)) throw new Error('The new master key could not be published.');
  log(`Published the new master key ${newKeyId}; waiting for running instances to load it.`);
  await sleep(graceMs);

  await store.putMeta(ACTIVE_KEY_META, newKeyId);
  await ring.refresh();
  log(`Master key ${newKeyId} is now the one that seals; waiting for running instances to switch.`);
  await sleep(graceMs);

  let resealed = 0;
  for (let pass = 1; ; pass++) {
    const result = await resealEverySealedColumn(services.database.db, box);
    resealed += result.resealed;
    if (result.remaining === 0) break;
    if (pass === MAX_PASSES) throw new Error(`${result.remaining} sealed values are still under an old key after ${pass} passes; run the rotation again.`);
  }
  log(`Re-sealed ${resealed} stored secrets with the new master key.`);

  if (fileMode) writeKeyFile(services.config.dataDir, [options.newKey]);
  for (const { key } of await store.listMeta(HANDOFF_META_PREFIX)) await store.deleteMeta(key);
  log(`Retired master key ${oldKeyId}.`);
  return { oldKeyId, newKeyId, resealed };
}
