import fc from 'fast-check';

// Arbitraries for the route fuzz suite (test/http/fuzz-routes.test.ts): requests built from a
// route's own JSON schema (so some get past validation and into the handler), mixed with
// everything a hostile or broken client sends instead.

export type AuthMode = 'none' | 'user-bearer' | 'admin-bearer' | 'web-cookie' | 'web-cookie-no-csrf' | 'junk-bearer' | 'junk-cookie';

/** A JSON value whose objects are key lists, so `__proto__` and duplicate keys survive to the wire. */
export type Json = null | boolean | number | string | Json[] | ObjectEntries | RawToken;
export class ObjectEntries {
  constructor(readonly entries: Array<[string, Json]>) {}
}
/** Number text JSON.stringify would never produce (1e400, -0.0, 00012). */
export class RawToken {
  constructor(readonly text: string) {}
}

export function toJSONText(value: Json): string {
  if (value instanceof ObjectEntries) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJSONText(v)}`).join(',')}}`;
  if (value instanceof RawToken) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJSONText).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

export type Body =
  | { kind: 'none'; contentType: string | null }
  | { kind: 'json'; value: Json; contentType: string | null }
  | { kind: 'raw'; bytes: string | Uint8Array; contentType: string | null };

export interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  auth: AuthMode;
  headers: Array<[string, string]>;
  body: Body;
  remoteAddress: string;
}

/** The parts of a route's JSON schema this generator reads (TypeBox output is plain JSON Schema). */
export interface JSONSchema {
  type?: string;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  anyOf?: JSONSchema[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JSONSchema;
  minItems?: number;
  maxItems?: number;
}

export interface RouteSchemas {
  body?: JSONSchema;
  querystring?: JSONSchema;
  params?: JSONSchema;
}

/** Values that exist in the database under test, by field name, so flows do real work. */
export type KnownValues = Record<string, () => string[]>;

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ufeff',
  '\u202e123456',
  '１２３４５６',
  '١٢٣٤٥٦',
  '123456\n',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  "' or 1=1 --",
  '"; drop table users; --',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  'null',
  'NaN',
  '-0',
  '1e309',
  'Ä'.normalize('NFD'),
  '🙂'.repeat(70),
  'ǅ'.repeat(300),
];

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  // Any code unit, lone surrogates and controls included.
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '0', '\u0000', 'é', '😀'), fc.integer({ min: 200, max: 9_000 })).map(([c, n]) => c.repeat(n)) },
);

const rawNumber = fc.constantFrom('1e400', '-1e400', '-0', '0.0000000000000000000001', '123456.0', '00012', '9007199254740993', '1E5').map((t) => new RawToken(t));

function jsonTree(keys: string[]): fc.Arbitrary<Json> {
  const key = fc.oneof(fc.constantFrom(...POLLUTION_KEYS, ...keys), fc.string({ maxLength: 12 }), nastyString);
  const leaf: fc.Arbitrary<Json> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    rawNumber,
    nastyString,
  );
  const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map((entries) => new ObjectEntries(entries)),
    ),
  }));
  return tree;
}

/** A value the schema accepts (or a known real value for the field), never hostile. */
function plausible(schema: JSONSchema | undefined, field: string, known: KnownValues): fc.Arbitrary<Json> {
  if (schema === undefined) return nastyString;
  const pool = known[field]?.() ?? [];
  const fromSchema = plausibleFromSchema(schema, known);
  return pool.length > 0 ? fc.oneof(fc.constantFrom(...pool), fromSchema) : fromSchema;
}

function plausibleFromSchema(schema: JSONSchema, known: KnownValues): fc.Arbitrary<Json> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => plausibleFromSchema(s, known)));
  if (schema.const !== undefined) return fc.constant(schema.const as Json);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as Json[]));
  if (schema.type === 'null') return fc.constant(null);
  if (schema.type === 'boolean') return fc.boolean();
  if (schema.type === 'integer' || schema.type === 'number') {
    return fc.integer({ min: Math.ceil(schema.minimum ?? -(2 ** 31)), max: Math.floor(schema.maximum ?? 2 ** 31) });
  }
  if (schema.type === 'object') return objectFor(schema, known);
  if (schema.type === 'array') {
    return fc.array(schema.items ? plausibleFromSchema(schema.items, known) : nastyString, { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
  }
  return stringFor(schema);
}

// ---------------------------------------------------------------------------------------------
// Strings a schema accepts: its length limits, its format, and its pattern where the pattern is
// a simple one (one character class repeated, optionally followed by a short fixed tail such as
// base64url's `={0,2}`); other patterns are sampled from fast-check and filtered by length.

interface SimplePattern {
  chars: string[];
  /** Fixed repetition ({n}) of the class, if any. */
  exact?: number;
  min: number;
  max?: number;
}

const SIMPLE_PATTERN = /^\^\[((?:[^\]\\]|\\.)+)\](\+|\*|\{(\d+)\}|\{(\d+),(\d*)\})(?:[^[\]()|]\{0,\d+\})?\$$/;

/** The characters of a class such as `A-Za-z0-9_-` (ranges and literals, no negation). */
function classChars(body: string): string[] | null {
  if (body.startsWith('^')) return null;
  const chars: string[] = [];
  for (let i = 0; i < body.length; i++) {
    let c = body[i]!;
    if (c === '\\') {
      c = body[++i] ?? '';
      if (c === 'd') chars.push(...'0123456789');
      else if (/[A-Za-z]/.test(c)) return null;
      else chars.push(c);
      continue;
    }
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const end = body[i + 2]!;
      for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++) chars.push(String.fromCharCode(code));
      i += 2;
      continue;
    }
    chars.push(c);
  }
  return chars.length > 0 ? chars : null;
}

export function simplePattern(pattern: string): SimplePattern | null {
  const match = SIMPLE_PATTERN.exec(pattern);
  if (!match) return null;
  const chars = classChars(match[1]!);
  if (chars === null) return null;
  if (match[3] !== undefined) return { chars, exact: Number(match[3]), min: Number(match[3]) };
  if (match[4] !== undefined) return { chars, min: Number(match[4]), ...(match[5] ? { max: Number(match[5]) } : {}) };
  return { chars, min: match[2] === '+' ? 1 : 0 };
}

function lengthsOf(schema: JSONSchema, floor = 0): { min: number; max: number } {
  const min = Math.max(schema.minLength ?? 0, floor);
  // Long enough for the token-like fields (20-128 characters), short enough to stay quick.
  return { min, max: Math.max(min, Math.min(schema.maxLength ?? 40, Math.max(min, 40))) };
}

const fitsLength = (schema: JSONSchema) => (value: string) =>
  [...value].length >= (schema.minLength ?? 0) && [...value].length <= (schema.maxLength ?? Number.POSITIVE_INFINITY);

function stringFor(schema: JSONSchema): fc.Arbitrary<string> {
  if (schema.format === 'email') {
    return fc.emailAddress().filter((address) => fitsLength(schema)(address) && (schema.pattern === undefined || new RegExp(schema.pattern).test(address)));
  }
  if (schema.pattern !== undefined) {
    const simple = simplePattern(schema.pattern);
    if (simple !== null) {
      const { min, max } = lengthsOf(schema, simple.min);
      const length = simple.exact;
      return fc.string({ unit: fc.constantFrom(...simple.chars), minLength: length ?? min, maxLength: length ?? Math.min(max, simple.max ?? max) });
    }
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fitsLength(schema));
  }
  const { min, max } = lengthsOf(schema);
  return fc.string({ unit: 'grapheme', minLength: min, maxLength: max }).filter(fitsLength(schema));
}

/** One deterministic string the schema accepts (see stringFor). */
function exampleString(schema: JSONSchema): string {
  if (schema.format === 'email') return 'fuzz@example.com';
  if (schema.pattern !== undefined) {
    const simple = simplePattern(schema.pattern);
    if (simple !== null) {
      const length = simple.exact ?? Math.max(simple.min, schema.minLength ?? 0, 1);
      // Cycling through the class gives a value that looks like a token, not 'aaaa'.
      return Array.from({ length }, (_, i) => simple.chars[(i * 7) % simple.chars.length]!).join('');
    }
    const sample = fc.sample(fc.stringMatching(new RegExp(schema.pattern)).filter(fitsLength(schema)), { numRuns: 1, seed: 1 })[0];
    if (sample === undefined) throw new Error(`no example for the pattern ${schema.pattern}`);
    return sample;
  }
  return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
}

/** An object shaped by the schema: required fields, some optional ones, each value plausible or hostile. */
function objectFor(schema: JSONSchema, known: KnownValues): fc.Arbitrary<Json> {
  const properties = Object.entries(schema.properties ?? {});
  const keys = properties.map(([k]) => k);
  const required = new Set(schema.required ?? []);
  const fields = properties.map(([name, sub]) =>
    fc
      .tuple(
        fc.oneof({ weight: required.has(name) ? 9 : 1, arbitrary: fc.constant(true) }, { weight: required.has(name) ? 1 : 1, arbitrary: fc.constant(false) }),
        fc.oneof({ weight: 5, arbitrary: plausible(sub, name, known) }, { weight: 1, arbitrary: jsonTree(keys) }),
      )
      .map(([present, value]) => (present ? ([[name, value]] as Array<[string, Json]>) : [])),
  );
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as Array<[string, Json]>) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ maxLength: 8 })), jsonTree(keys)), { minLength: 1, maxLength: 2 }) },
  );
  return fc.tuple(fc.tuple(...fields), extra).map(([chosen, more]) => new ObjectEntries([...chosen.flat(), ...more]));
}

/** A deterministic value the schema accepts, for the examples every route is sent first. */
export function exampleFor(schema: JSONSchema | undefined, field: string, known: KnownValues): Json {
  if (schema === undefined) return {} as never;
  const pool = known[field]?.() ?? [];
  if (pool[0] !== undefined) return pool[0];
  if (schema.anyOf) return exampleFor(schema.anyOf[0], field, known);
  if (schema.const !== undefined) return schema.const as Json;
  if (schema.enum !== undefined && schema.enum.length > 0) return schema.enum[0] as Json;
  if (schema.type === 'object') {
    return new ObjectEntries((schema.required ?? []).map((name) => [name, exampleFor(schema.properties?.[name], name, known)]));
  }
  if (schema.type === 'array') return Array.from({ length: schema.minItems ?? 0 }, () => exampleFor(schema.items, field, known));
  if (schema.type === 'boolean') return true;
  if (schema.type === 'integer' || schema.type === 'number') return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
  return exampleString(schema);
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/json; charset=iso-8859-1',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/vnd.api+json',
  'application/xml',
  '',
  '*/*',
];

const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 60 });

const HEADER_NAMES = [
  'origin',
  'referer',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'user-agent',
  'cookie',
  'authorization',
  'x-csrf-protection',
  'x-request-id',
  'if-none-match',
  'range',
  'expect',
];

const headerValueFor: Record<string, fc.Arbitrary<string>> = {
  origin: fc.constantFrom('http://localhost:80', 'http://localhost', 'https://evil.example', 'null', 'not a url', 'http://[::1'),
  'content-encoding': fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x-unknown'),
  'user-agent': fc.oneof(headerText, fc.integer({ min: 300, max: 6000 }).map((n) => 'U'.repeat(n))),
  cookie: fc.oneof(headerText, fc.constantFrom('twofold_session=', 'twofold_session=%zz', 'twofold_session=a; twofold_session=b', '=;;=')),
  authorization: fc.oneof(headerText, fc.constantFrom('Bearer ', 'Bearer x', `Bearer ${'A'.repeat(129)}`, 'Basic YWRtaW46YWRtaW4=', 'bearer AAAAAAAAAAAAAAAAAAAAAAAA')),
};

const headers: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc
    .oneof({ weight: 4, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^x-[a-z0-9-]{1,16}$/) })
    .chain((name) => fc.tuple(fc.constant(name), headerValueFor[name] ?? headerText)),
  { maxLength: 4 },
);

function encodePathSegment(value: string): string {
  // Lone surrogates cannot be percent-encoded; they travel as the replacement character a real client would send.
  return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
}

const RAW_SEGMENTS = ['%', '%zz', '%ff%fe', '%00', '%c0%af', '..', '.', '%2e%2e', '%2F', '%u0041', '%F0%9F'];

function pathFor(url: string, params: JSONSchema | undefined, known: KnownValues): fc.Arbitrary<string> {
  const names = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  if (names.length === 0) return fc.constant(url);
  const segment = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: plausible(params?.properties?.[name], name, known).map((v) => encodePathSegment(String(v))) },
      { weight: 2, arbitrary: nastyString.map(encodePathSegment) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    );
  return fc.tuple(...names.map(segment)).map((values) => names.reduce((u, name, i) => u.replace(`:${name}`, values[i]!), url));
}

function queryFor(schema: JSONSchema | undefined, known: KnownValues): fc.Arbitrary<string> {
  const keys = Object.keys(schema?.properties ?? {});
  const pair = fc.tuple(
    fc.oneof(fc.constantFrom(...keys, '__proto__', '__proto__[role]', 'constructor[prototype][x]', 'a[]'), fc.string({ maxLength: 8 })),
    fc.oneof(fc.string({ maxLength: 12 }), nastyString, ...keys.map((k) => plausible(schema?.properties?.[k], k, known).map(String))),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.array(pair, { minLength: 1, maxLength: 3 }).map((pairs) => `?${pairs.map(([k, v]) => `${encodePathSegment(k)}=${encodePathSegment(v)}`).join('&')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?a', '?%zz=1', '?limit=1&limit=2', '?limit=%00') },
  );
}

function bodyFor(schema: JSONSchema | undefined, known: KnownValues): fc.Arbitrary<Body> {
  const keys = Object.keys(schema?.properties ?? {});
  const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
  const shaped = schema === undefined ? jsonTree(keys) : objectFor(schema, known);
  return fc.oneof(
    { weight: 2, arbitrary: fc.option(fc.constantFrom(...CONTENT_TYPES, 'application/json'), { nil: null }).map((ct): Body => ({ kind: 'none', contentType: ct })) },
    { weight: 6, arbitrary: fc.tuple(shaped, contentType).map(([value, ct]): Body => ({ kind: 'json', value, contentType: ct })) },
    { weight: 2, arbitrary: fc.tuple(jsonTree(keys), contentType).map(([value, ct]): Body => ({ kind: 'json', value, contentType: ct })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom('{', '{"a":', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}', '{}garbage', 'null', '"'),
            fc.uint8Array({ maxLength: 64 }),
            fc.integer({ min: 15_000, max: 40_000 }).map((n) => `{"x":"${'y'.repeat(n)}"}`),
          ),
          contentType,
        )
        .map(([bytes, ct]): Body => ({ kind: 'raw', bytes, contentType: ct })),
    },
  );
}

export const AUTH_MODES: AuthMode[] = ['none', 'user-bearer', 'admin-bearer', 'web-cookie', 'web-cookie-no-csrf', 'junk-bearer', 'junk-cookie'];

/** Requests aimed at one route: mostly its own method and a schema-shaped body, the rest anything. */
export function requestsFor(route: { method: string; url: string; schemas: RouteSchemas }, known: KnownValues): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
    path: pathFor(route.url, route.schemas.params, known),
    query: route.schemas.querystring ? fc.oneof(objectQuery(route.schemas.querystring, known), queryFor(route.schemas.querystring, known)) : queryFor(undefined, known),
    auth: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<AuthMode>('user-bearer', 'admin-bearer', 'web-cookie') }, { weight: 2, arbitrary: fc.constantFrom(...AUTH_MODES) }),
    headers,
    body: bodyFor(route.schemas.body, known),
    remoteAddress: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  });
}

/** A query string of the schema's own fields with plausible values. */
function objectQuery(schema: JSONSchema, known: KnownValues): fc.Arbitrary<string> {
  return objectFor(schema, known).map((value) => {
    const entries = value instanceof ObjectEntries ? value.entries : [];
    const pairs = entries.filter(([, v]) => typeof v === 'string' || typeof v === 'number').map(([k, v]) => `${encodePathSegment(k)}=${encodePathSegment(String(v))}`);
    return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
  });
}

/** The request every route gets first: its own method and a body its schema accepts, with a session. */
export function exampleRequest(route: { method: string; url: string; schemas: RouteSchemas }, known: KnownValues, auth: AuthMode): FuzzRequest {
  const path = route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodePathSegment(String(exampleFor(route.schemas.params?.properties?.[name], name, known))));
  const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
  return {
    method: route.method,
    path,
    query: '',
    auth,
    headers: [],
    body: hasBody ? { kind: 'json', value: exampleFor(route.schemas.body ?? { type: 'object' }, '', known), contentType: 'application/json' } : { kind: 'none', contentType: null },
    remoteAddress: '127.9.9.9',
  };
}

export function describeRequest(request: FuzzRequest): string {
  const body =
    request.body.kind === 'none'
      ? '(no body)'
      : request.body.kind === 'json'
        ? toJSONText(request.body.value)
        : typeof request.body.bytes === 'string'
          ? request.body.bytes
          : `bytes ${Buffer.from(request.body.bytes).toString('hex')}`;
  return `${request.method} ${request.path}${request.query} auth=${request.auth} content-type=${String(request.body.contentType)} headers=${JSON.stringify(request.headers)} body=${body.slice(0, 300)}`;
}
