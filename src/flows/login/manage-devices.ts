import { DomainError } from '../../core/errors.ts';
import type { Account, ClientKind, Device, RequestContext, Session } from '../../core/types.ts';
import { findAccountOrFail } from '../admin/find-account.ts';
import type { AdminActor } from '../admin-reset-two-factor.ts';
import { recordAudit } from '../shared/audit.ts';
import type { FlowDeps } from '../shared/deps.ts';
import { isTrusted, trustExpiresAt } from './trusted-devices.ts';

export interface TrustedDeviceSummary {
  id: string;
  name: string;
  client: ClientKind;
  /** When trust was given (its expiry counts from here, not from the last use). */
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  /** The device the asking session was made on. */
  current: boolean;
}

function summarize(deps: FlowDeps, device: Device & { trustedAt: number }, currentDeviceId: string | null): TrustedDeviceSummary {
  return {
    id: device.id,
    name: device.name,
    client: device.client,
    createdAt: device.trustedAt,
    lastUsedAt: device.lastUsedAt,
    expiresAt: trustExpiresAt(deps, device.trustedAt) ?? device.trustedAt,
    current: device.id === currentDeviceId,
  };
}

/** The account's devices that skip the second step now (known-only and lapsed ones are not listed). */
export async function listTrustedDevices(deps: FlowDeps, userId: string, currentDeviceId: string | null = null): Promise<TrustedDeviceSummary[]> {
  const devices = await deps.store.listDevices(userId);
  return devices.filter((device) => isTrusted(deps, device)).map((device) => summarize(deps, device as Device & { trustedAt: number }, currentDeviceId));
}

/**
 * The owner removes one device: gone entirely, trust and known-device standing both (its token
 * then counts for nothing). No Password window: this only takes access away.
 */
export async function forgetOwnDevice(deps: FlowDeps, input: { account: Account; session: Session; id: string }, context: RequestContext): Promise<void> {
  const { account, session } = input;
  await deps.store.transaction(async (store) => {
    if (!(await store.deleteDevice(account.id, input.id))) throw new DomainError('not_found', 'No such trusted device.');
    await recordAudit(
      deps,
      { type: 'device.forgotten', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip, detail: { device_id: input.id } },
      store,
    );
  });
}

/** "Remove all": every trusted device of the account is forgotten (known-only devices stay). */
export async function forgetOwnTrustedDevices(deps: FlowDeps, input: { account: Account; session: Session }, context: RequestContext): Promise<number> {
  const { account, session } = input;
  return deps.store.transaction(async (store) => {
    const removed = await store.deleteDevices(account.id, { trustedOnly: true });
    await recordAudit(
      deps,
      { type: 'device.forgotten', outcome: 'success', userId: account.id, username: account.username, client: session.client, ip: context.ip, detail: { all: true, devices: removed } },
      store,
    );
    return removed;
  });
}

export async function listTrustedDevicesOf(deps: FlowDeps, username: string): Promise<TrustedDeviceSummary[]> {
  const account = await findAccountOrFail(deps, username);
  return listTrustedDevices(deps, account.id);
}

/**
 * An administrator (or the CLI) forgets every device of an account, trusted and known alike: a
 * lost laptop then counts for nothing, not even for its own password budget.
 */
export async function forgetDevicesOf(deps: FlowDeps, username: string, actor: AdminActor): Promise<number> {
  const account = await findAccountOrFail(deps, username);
  return deps.store.transaction(async (store) => {
    const removed = await store.deleteDevices(account.id, { trustedOnly: false });
    await recordAudit(
      deps,
      { type: 'device.forgotten', outcome: 'success', userId: account.id, username: account.username, actor: actor.name, ip: actor.ip, detail: { all: true, devices: removed } },
      store,
    );
    return removed;
  });
}
