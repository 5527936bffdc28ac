import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TYPE, parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

export const LOCALES_DIR = path.resolve('locales');
export const NAMESPACES = ['web', 'server', 'mail'] as const;
export type Namespace = (typeof NAMESPACES)[number];
export type Catalog = Record<string, string>;

export function catalogLanguages(): string[] {
  return readdirSync(LOCALES_DIR).filter((name) => statSync(path.join(LOCALES_DIR, name)).isDirectory()).sort();
}

export function readCatalog(language: string, namespace: Namespace): Catalog {
  return JSON.parse(readFileSync(path.join(LOCALES_DIR, language, `${namespace}.json`), 'utf8')) as Catalog;
}

/** Each placeholder with its kind ("name:argument", "n:plural", ...), and the <b> tags, of one ICU message. */
export function placeholdersOf(message: string): string[] {
  const found = new Set<string>();
  const walk = (elements: MessageFormatElement[]): void => {
    for (const element of elements) {
      if (element.type === TYPE.argument || element.type === TYPE.number || element.type === TYPE.date || element.type === TYPE.time) {
        found.add(`${element.value}:${TYPE[element.type]}`);
      } else if (element.type === TYPE.plural || element.type === TYPE.select) {
        found.add(`${element.value}:${TYPE[element.type]}`);
        for (const option of Object.values(element.options)) walk(option.value);
      }
    }
  };
  // Tags are text to the formatter (ignoreTag), so they are counted here as text.
  walk(parse(message, { ignoreTag: true }));
  const tags = message.match(/<\/?b>/g) ?? [];
  return [...found, ...tags.map((tag, index) => `${tag}#${index}`)].sort();
}

/**
 * What is wrong with `catalog` against the English one: a missing or extra key, a message ICU
 * cannot parse, a placeholder (or plural, or <b>) that is missing, added or of another kind, a
 * plural without `other`. Empty when the catalog is complete.
 */
export function catalogProblems(english: Catalog, catalog: Catalog, label: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(english)) {
    const message = catalog[key];
    if (message === undefined) {
      problems.push(`${label}: missing key ${JSON.stringify(key)}`);
      continue;
    }
    if (message.trim() === '') problems.push(`${label}: empty message for ${JSON.stringify(key)}`);
    let theirs: string[];
    try {
      theirs = placeholdersOf(message);
    } catch (error) {
      problems.push(`${label}: ${JSON.stringify(key)} does not parse as ICU: ${(error as Error).message}`);
      continue;
    }
    const ours = placeholdersOf(english[key]!);
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
      problems.push(`${label}: placeholders of ${JSON.stringify(key)} are [${theirs.join(', ')}], English has [${ours.join(', ')}]`);
    }
  }
  for (const key of Object.keys(catalog)) if (!(key in english)) problems.push(`${label}: key ${JSON.stringify(key)} is not in English`);
  return problems;
}
