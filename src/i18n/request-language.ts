import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request a mail is sent in: its Accept-Language, and whose session it carries. A mail goes
 * out in the recipient's stored language; without one, in the language of a request that is the
 * recipient's own (their login, their settings) or anonymous (a login before its session), else
 * in English: an administrator's browser language says nothing about the recipient's.
 */
interface RequestLanguage {
  acceptLanguage: string | undefined;
  userId: string | null;
}

const current = new AsyncLocalStorage<RequestLanguage>();

export function runWithRequestLanguage(acceptLanguage: string | undefined, run: () => void): void {
  current.run({ acceptLanguage, userId: null }, run);
}

/** Called once the request's session is known. */
export function setRequestUser(userId: string): void {
  const store = current.getStore();
  if (store !== undefined) store.userId = userId;
}

/** The Accept-Language that may choose the language of a mail to `userId`, if any. */
export function acceptLanguageFor(userId: string): string | undefined {
  const store = current.getStore();
  if (store === undefined) return undefined;
  return store.userId === null || store.userId === userId ? store.acceptLanguage : undefined;
}
