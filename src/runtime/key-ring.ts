import { deriveMacKey, masterKeyId, type SecretBox } from '../core/secret-box.ts';
import type { Store } from '../store/store.ts';
import { masterKeyFilePath, readKeyFile } from './master-key.ts';

// The master key ring shared by every instance of one database. The database says which key
// seals (`master_key_active`, a key id); the keys themselves come from master.key or
// TWOFOLD_MASTER_KEY, and, while a rotation runs, from a hand-off record: the new key sealed
// under the key that was active before, so instances on other hosts (or started with
// TWOFOLD_MASTER_KEY, which cannot change under a running process) learn it without a restart.

export const ACTIVE_KEY_META = 'master_key_active';
export const HANDOFF_META_PREFIX = 'master_key_handoff:';
export const KEY_CHECK_META = 'master_key_check';
export const MAC_KEY_META = 'mac_key';
const KEY_CHECK_PLAINTEXT = 'twofold master key check';

/** How often a running instance looks for a rotated key; rotation waits a few of these between its steps. */
export const KEY_RING_POLL_MS = 1_000;

export function handoffAssociatedData(keyId: string): string {
  return `${HANDOFF_META_PREFIX}${keyId}`;
}

export interface KeyRing {
  secretBox: SecretBox;
  /** Reads the active key id and any hand-off from the database, and master.key when used. */
  refresh(): Promise<void>;
  /** Every key known now, the active one first. */
  keys(): Buffer[];
}

export class MasterKeyMismatchError extends Error {
  constructor() {
    super('The master key does not match this database. Start with the TWOFOLD_MASTER_KEY (or master.key file) the database was created with.');
  }
}

/**
 * Builds the ring and checks it against the database, so an instance started with the wrong key
 * refuses to start instead of failing every login. Keys learned are kept for the life of the
 * process (a rotation retires a key only after nothing is sealed with it any more).
 */
export async function openKeyRing(
  store: Store,
  options: { secretBox: SecretBox; configuredKeys: Buffer[]; keyFile: string | null },
): Promise<KeyRing> {
  const known = new Map<string, Buffer>(options.configuredKeys.map((key) => [masterKeyId(key), key]));
  const secretBox = options.secretBox;
  let activeId = masterKeyId(options.configuredKeys[0]!);

  const apply = (): void => {
    // An active key this instance does not hold yet: keep sealing with the previous one, which
    // every instance still opens, until the hand-off or the file brings it.
    const active = known.get(activeId) ?? known.get(secretBox.activeKeyId)!;
    secretBox.setKeys(active, [...known.values()].filter((key) => key !== active));
  };

  const refresh = async (): Promise<void> => {
    if (options.keyFile !== null) for (const key of readKeyFile(options.keyFile)) known.set(masterKeyId(key), key);
    apply();
    // Each hand-off is sealed under a key already known (the one active before it), so they open in order.
    for (const { key, value } of await store.listMeta(HANDOFF_META_PREFIX)) {
      const id = key.slice(HANDOFF_META_PREFIX.length);
      if (known.has(id)) continue;
      const hex = secretBox.open(value, handoffAssociatedData(id));
      if (hex !== null && /^[0-9a-f]{64}$/.test(hex)) known.set(id, Buffer.from(hex, 'hex'));
      apply();
    }
    activeId = (await store.getMeta(ACTIVE_KEY_META)) ?? activeId;
    apply();
  };

  await refresh();
  const check = await store.putMetaIfAbsent(KEY_CHECK_META, secretBox.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_META));
  if (secretBox.open(check, KEY_CHECK_META) !== KEY_CHECK_PLAINTEXT) throw new MasterKeyMismatchError();
  // The MAC key outlives master keys: recovery and email code hashes cannot be re-sealed (they are
  // one-way), so the key they were made with is kept, sealed like any other secret. A database
  // from before rotation existed gets the key those hashes were made with: the one derived from
  // its master key.
  const macSealed = await store.putMetaIfAbsent(MAC_KEY_META, secretBox.seal(deriveMacKey(known.get(secretBox.activeKeyId)!).toString('hex'), MAC_KEY_META));
  const macHex = secretBox.open(macSealed, MAC_KEY_META);
  if (macHex === null) throw new MasterKeyMismatchError();
  secretBox.setMacKey(Buffer.from(macHex, 'hex'));

  return {
    secretBox,
    refresh,
    keys: () => {
      const active = known.get(secretBox.activeKeyId)!;
      return [active, ...[...known.values()].filter((key) => key !== active)];
    },
  };
}

export function keyFileFor(configuredFromEnvironment: boolean, dataDir: string): string | null {
  return configuredFromEnvironment ? null : masterKeyFilePath(dataDir);
}
