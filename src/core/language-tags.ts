/**
 * Choosing one of the shipped languages for a BCP 47 tag or an Accept-Language header (RFC 9110
 * §12.5.4). Pure: the web client and the server share it, so both pick the same catalog.
 */

/** The tag as catalogs name it ("zh-CN"), when `wanted` is one of `available` or a variant of one. */
export function matchLanguage(wanted: string, available: readonly string[]): string | null {
  const tag = wanted.trim().replace(/_/g, '-').toLowerCase();
  if (tag === '' || tag === '*') return null;
  const exact = available.find((code) => code.toLowerCase() === tag);
  if (exact !== undefined) return exact;
  const [primary, ...rest] = tag.split('-');
  // Traditional Chinese readers are not served by a Simplified catalog: fall through to their next choice.
  if (primary === 'zh' && rest.some((part) => part === 'hant' || part === 'tw' || part === 'hk' || part === 'mo')) {
    return available.find((code) => code.toLowerCase() === 'zh-tw' || code.toLowerCase() === 'zh-hant') ?? null;
  }
  return available.find((code) => code.toLowerCase().split('-')[0] === primary) ?? null;
}

/** The first of `preferences` (most wanted first) that a catalog serves. */
export function pickLanguage(preferences: readonly string[], available: readonly string[]): string | null {
  for (const wanted of preferences) {
    const match = matchLanguage(wanted, available);
    if (match !== null) return match;
  }
  return null;
}

/** The tags of an Accept-Language header, most wanted first; q=0 means "not this one". */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (header === undefined || header.length > 1024) return [];
  return header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0 && /^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$|^\*$/.test(entry.tag))
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((entry) => entry.tag);
}
