import { hashToken } from '../core/tokens.ts';
import type { Account, Session } from '../core/types.ts';
import type { FlowDeps } from './shared/deps.ts';

export interface Authenticated {
  session: Session;
  account: Account;
}

// Writing last-seen on every request would turn each read into a write; a minute is precise enough.
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves a bearer token to its live session and account, or null. */
export async function authenticateSession(deps: FlowDeps, token: string): Promise<Authenticated | null> {
  const now = deps.clock();
  // A session from before the account's sessions were last ended (possibly inserted by a login
  // that raced that change) is dead, even if its row is still there: the store checks the epoch.
  const live = await deps.store.findLiveSession(hashToken(token), now);
  if (live === null) return null;
  const { session, account } = live;
  if (now - session.lastSeenAt > TOUCH_INTERVAL_MS) await deps.store.touchSession(session.id, now);
  return { session, account };
}
