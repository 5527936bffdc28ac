import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isText, type Text } from '../core/text.ts';
import { parseAcceptLanguage, pickLanguage } from '../core/language-tags.ts';
import { flattenValues, formatMessage } from './format.ts';

export const FALLBACK_LANGUAGE = 'en';
export type Namespace = 'server' | 'mail';
type Catalog = Record<string, string>;

/** locales/ beside src/ (and beside dist/ in the compiled build: both are one level below the root). */
export const DEFAULT_LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url));

/**
 * The server's words in every shipped language: locales/<lang>/{server,mail}.json, keyed by the
 * English ICU message. A language is a folder; dropping one in adds it (the web client finds the
 * same folders at build time). English is the fallback for a key a catalog lacks.
 */
export interface Translator {
  readonly languages: readonly string[];
  /** Precedence everywhere: the account's stored choice, then Accept-Language, then English. */
  choose(stored: string | null | undefined, acceptLanguage?: string | undefined): string;
  /** Whether `language` is one of the shipped languages, exactly as a catalog folder names it. */
  supports(language: string): boolean;
  /** The message in `language`: a Text with its placeholders, or a fixed English sentence (its own key). */
  text(language: string, namespace: Namespace, message: string | Text): string;
  /** `key` (an English ICU message) in `language`, placeholders filled. */
  t(language: string, namespace: Namespace, key: string, values?: Text['values']): string;
}

function readCatalog(file: string): Catalog {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

/** Reads the catalogs once (at start-up); a missing folder leaves English, built from the keys. */
export function loadTranslator(dir: string = DEFAULT_LOCALES_DIR): Translator {
  const catalogs = new Map<string, Record<Namespace, Catalog>>();
  let folders: string[] = [];
  try {
    folders = readdirSync(dir).filter((name) => /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(name) && statSync(path.join(dir, name)).isDirectory());
  } catch {
    folders = [];
  }
  for (const language of folders) {
    catalogs.set(language, { server: readCatalog(path.join(dir, language, 'server.json')), mail: readCatalog(path.join(dir, language, 'mail.json')) });
  }
  if (!catalogs.has(FALLBACK_LANGUAGE)) catalogs.set(FALLBACK_LANGUAGE, { server: {}, mail: {} });
  const languages = [...catalogs.keys()].sort();

  const lookup = (language: string, namespace: Namespace, key: string): { message: string; language: string } => {
    const own = catalogs.get(language)?.[namespace][key];
    if (own !== undefined) return { message: own, language };
    // English keys are their own messages, so a key no catalog has still reads right in English.
    return { message: catalogs.get(FALLBACK_LANGUAGE)?.[namespace][key] ?? key, language: FALLBACK_LANGUAGE };
  };

  const translator: Translator = {
    languages,
    supports: (language) => catalogs.has(language),
    choose(stored, acceptLanguage) {
      if (stored && catalogs.has(stored)) return stored;
      return pickLanguage(parseAcceptLanguage(acceptLanguage), languages) ?? FALLBACK_LANGUAGE;
    },
    t(language, namespace, key, values = {}) {
      const found = lookup(language, namespace, key);
      const flat = flattenValues(values, (inner) => translator.text(language, namespace, inner));
      try {
        return formatMessage(found.message, found.language, flat);
      } catch {
        // A broken translation must not turn an answer into a 500: English, built from the key.
        return formatMessage(key, FALLBACK_LANGUAGE, flat);
      }
    },
    text(language, namespace, message) {
      if (isText(message)) return translator.t(language, namespace, message.key, message.values);
      const found = lookup(language, namespace, message);
      // A fixed sentence is not ICU-formatted when it has no translation: it is shown as it is.
      if (found.language === FALLBACK_LANGUAGE && catalogs.get(FALLBACK_LANGUAGE)?.[namespace][message] === undefined) return message;
      try {
        return formatMessage(found.message, found.language);
      } catch {
        return message;
      }
    },
  };
  return translator;
}
