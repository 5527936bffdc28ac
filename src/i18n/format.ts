import { IntlMessageFormat } from 'intl-messageformat';
import type { Text } from '../core/text.ts';

type Values = Readonly<Record<string, string | number | Text>>;

const cache = new Map<string, IntlMessageFormat>();

/** Formats one ICU message in `language`; tags such as <b> are left as text (as in the web client). */
export function formatMessage(message: string, language: string, values: Record<string, string | number> = {}): string {
  const id = `${language}\u0000${message}`;
  let format = cache.get(id);
  if (format === undefined) {
    format = new IntlMessageFormat(message, language, undefined, { ignoreTag: true });
    if (cache.size > 5000) cache.clear();
    cache.set(id, format);
  }
  return String(format.format(values));
}

/** Renders nested Texts first, each through `render`, so a duration reads in the same language. */
export function flattenValues(values: Values, render: (text: Text) => string): Record<string, string | number> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'object' ? render(value) : value]));
}

function renderEnglish(key: string, values: Values): string {
  return formatMessage(key, 'en', flattenValues(values, (inner) => inner.english));
}

/** A translatable sentence for a DomainError or a response: the key is the English ICU message. */
export function localize(key: string, values: Values = {}): Text {
  return { key, values, english: renderEnglish(key, values) };
}
