/**
 * The client's words: one ICU MessageFormat catalog per language in locales/<lang>/web.json,
 * found at build time (drop in a folder to add a language). Keys are the English messages
 * themselves (the Lingui/gettext convention), so the code reads as it shows in English, and the
 * English catalog keeps the help page's words exactly. Which language: the account's stored
 * choice, else a pick made in this browser, else the browser's languages, else English.
 */
import i18next from 'i18next';
import ICU from 'i18next-icu';
import { h, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pickLanguage } from '../../src/core/language-tags.ts';

type Catalog = Record<string, string>;

const files = import.meta.glob<Catalog>('../../locales/*/web.json', { eager: true, import: 'default' });

const resources: Record<string, { translation: Catalog }> = {};
for (const [file, catalog] of Object.entries(files)) {
  const code = /locales\/([^/]+)\/web\.json$/.exec(file)?.[1];
  if (code !== undefined) resources[code] = { translation: catalog };
}

export const FALLBACK_LANGUAGE = 'en';

/** The shipped languages, English first, each named in its own language. */
export const LANGUAGES: { code: string; name: string }[] = Object.keys(resources)
  .sort((a, b) => (a === FALLBACK_LANGUAGE ? -1 : b === FALLBACK_LANGUAGE ? 1 : a.localeCompare(b)))
  .map((code) => ({ code, name: resources[code]?.translation['$languageName'] ?? code }));

const CODES = LANGUAGES.map((language) => language.code);
const STORAGE_KEY = 'twofold.language';
// Set while the pick made on the login page still has to be saved to the account.
const UNSAVED_KEY = 'twofold.language.unsaved';

void i18next.use(ICU).init({
  resources,
  lng: FALLBACK_LANGUAGE,
  fallbackLng: FALLBACK_LANGUAGE,
  // Keys are English sentences: their dots and colons are not separators.
  keySeparator: false,
  nsSeparator: false,
  returnNull: false,
  initAsync: false,
  interpolation: { escapeValue: false },
});

/** The message for `key` in the current language, with its ICU placeholders filled. */
export function t(key: string, values?: Record<string, string | number>): string {
  return i18next.t(key, values);
}

export function currentLanguage(): string {
  return i18next.language;
}

/**
 * A message with emphasis: `<b>...</b>` in the catalog becomes <strong> (ICU tags are read as
 * text here, see i18next-icu's ignoreTag), so translators place the emphasis where their grammar puts it.
 */
export function rich(key: string, values?: Record<string, string | number>): (string | JSX.Element)[] {
  return t(key, values)
    .split(/<b>(.*?)<\/b>/s)
    .map((part, index) => (index % 2 === 1 ? h('strong', { key: index }, part) : part));
}

const listeners = new Set<() => void>();

/** Shows the interface in `code` (one of LANGUAGES; anything else falls back to English). */
export function setLanguage(code: string): void {
  const chosen = CODES.includes(code) ? code : FALLBACK_LANGUAGE;
  void i18next.changeLanguage(chosen);
  document.documentElement.lang = chosen;
  for (const listener of listeners) listener();
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The language before anyone logs in: this browser's pick, else its languages, else English. */
export function browserLanguage(): string {
  const picked = storage()?.getItem(STORAGE_KEY);
  if (picked && CODES.includes(picked)) return picked;
  return pickLanguage(navigator.languages ?? [navigator.language], CODES) ?? FALLBACK_LANGUAGE;
}

/** A pick in this browser; `unsaved` (the login page) has it saved to the account at the next login. */
export function rememberLanguage(code: string, options: { unsaved: boolean }): void {
  const store = storage();
  store?.setItem(STORAGE_KEY, code);
  if (options.unsaved) store?.setItem(UNSAVED_KEY, '1');
  else store?.removeItem(UNSAVED_KEY);
}

/** The login page's pick still waiting to be saved to the account, if any. */
export function unsavedLanguage(): string | null {
  const store = storage();
  const code = store?.getItem(STORAGE_KEY);
  return store?.getItem(UNSAVED_KEY) === '1' && code && CODES.includes(code) ? code : null;
}

/** Re-renders the calling component (the root) whenever the language changes. */
export function useLanguage(): string {
  const [language, setState] = useState(currentLanguage());
  useEffect(() => {
    const update = (): void => setState(currentLanguage());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return language;
}

/** A date and time in the user's locale and the browser's time zone. */
export function formatDateTime(value: string | number | Date, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(currentLanguage(), options).format(date);
}

setLanguage(browserLanguage());
