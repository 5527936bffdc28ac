// NUL cannot be stored in PostgreSQL text and a lone surrogate is not valid UTF-8; either would
// turn into a 500 deep in the store. They are refused at the edge, for every field, parameter
// and query value, whatever its schema says.
// eslint-disable-next-line no-control-regex
const INVALID_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string holding NUL or a lone surrogate, or null. */
export function findInvalidText(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return INVALID_TEXT.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = INVALID_TEXT.test(key) ? `${path}/${key}` : findInvalidText(item, `${path}/${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
