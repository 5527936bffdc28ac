import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import type { FlowDeps } from './deps.ts';

export type AuditInput = Omit<AuditEvent, 'id' | 'at' | 'userId' | 'username' | 'actor' | 'client' | 'ip' | 'detail'> &
  Partial<Pick<AuditEvent, 'userId' | 'username' | 'actor' | 'client' | 'ip' | 'detail'>>;

/**
 * Appends an audit event. Pass the transaction's store for events that must stand or fall with
 * the change; failures are recorded with `deps.store` so they survive the rollback that follows.
 * Details never carry a password, code, token or secret: callers pass only outcomes and reasons.
 */
export async function recordAudit(deps: FlowDeps, input: AuditInput, store: Store = deps.store): Promise<void> {
  const event: AuditEvent = {
    id: randomUUID(),
    at: deps.clock(),
    userId: null,
    username: null,
    actor: null,
    client: null,
    ip: null,
    detail: null,
    ...input,
  };
  await store.appendAuditEvent(event);
  deps.onAudit?.(event);
}
