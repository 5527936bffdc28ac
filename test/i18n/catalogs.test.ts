import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntlMessageFormat } from 'intl-messageformat';
import { checkPasswordStrength } from '../../src/core/passwords.ts';
import { catalogLanguages, catalogProblems, placeholdersOf, readCatalog, NAMESPACES, type Catalog } from '../support/catalogs.ts';
// @ts-expect-error plain JavaScript helpers shared with the command line (node scripts/*.mjs --write)
import { englishCatalog as webEnglish, scanWebSources } from '../../scripts/web-messages.mjs';
// @ts-expect-error as above
import { englishCatalog as serverEnglish, scanServerSources } from '../../scripts/server-messages.mjs';

const languages = catalogLanguages();

describe('message catalogs (locales/<lang>/{web,server,mail}.json)', () => {
  it('ships English, German, French, Spanish and Simplified Chinese', () => {
    expect(languages).toEqual(expect.arrayContaining(['en', 'de', 'fr', 'es', 'zh-CN']));
  });

  it.each(languages.filter((language) => language !== 'en'))('%s has every key and placeholder of English, each message valid ICU', (language) => {
    const problems = NAMESPACES.flatMap((namespace) => catalogProblems(readCatalog('en', namespace), readCatalog(language, namespace), `${language}/${namespace}`));
    expect(problems).toEqual([]);
  });

  it('formats every message of every catalog with sample values', () => {
    for (const language of languages) {
      for (const namespace of NAMESPACES) {
        for (const [key, message] of Object.entries(readCatalog(language, namespace))) {
          const values = Object.fromEntries(placeholdersOf(key).filter((p) => !p.startsWith('<')).map((p) => [p.split(':')[0]!, p.endsWith(':plural') ? 2 : 'x']));
          const text = String(new IntlMessageFormat(message, language, undefined, { ignoreTag: true }).format(values));
          expect(text.length, `${language}/${namespace}: ${key}`).toBeGreaterThan(0);
          expect(text, `${language}/${namespace}: ${key}`).not.toMatch(/\{[a-z]+\}/i);
        }
      }
    }
  });

  it('fails a catalog that misses a key, drops or renames a placeholder, or breaks a plural', () => {
    const english: Catalog = {
      'Save': 'Save',
      'A code was sent to {address}.': 'A code was sent to {address}.',
      '{left, plural, one {# code left} other {# codes left}}': '{left, plural, one {# code left} other {# codes left}}',
      'Enter <b>{name}</b>.': 'Enter <b>{name}</b>.',
    };
    const complete: Catalog = {
      'Save': 'Speichern',
      'A code was sent to {address}.': 'Ein Code wurde an {address} gesendet.',
      '{left, plural, one {# code left} other {# codes left}}': '{left, plural, one {# Code übrig} other {# Codes übrig}}',
      'Enter <b>{name}</b>.': 'Geben Sie <b>{name}</b> ein.',
    };
    expect(catalogProblems(english, complete, 'de')).toEqual([]);
    const { Save: _dropped, ...missingKey } = complete;
    expect(catalogProblems(english, missingKey, 'de')).toEqual(['de: missing key "Save"']);
    expect(catalogProblems(english, { ...complete, 'A code was sent to {address}.': 'Ein Code wurde gesendet.' }, 'de')[0]).toMatch(/placeholders of .*address/);
    expect(catalogProblems(english, { ...complete, 'A code was sent to {address}.': 'Ein Code wurde an {adresse} gesendet.' }, 'de')[0]).toMatch(/placeholders/);
    expect(catalogProblems(english, { ...complete, '{left, plural, one {# code left} other {# codes left}}': '{left} Codes übrig' }, 'de')[0]).toMatch(/placeholders/);
    expect(catalogProblems(english, { ...complete, '{left, plural, one {# code left} other {# codes left}}': '{left, plural, one {# Code übrig}' }, 'de')[0]).toMatch(/does not parse/);
    expect(catalogProblems(english, { ...complete, 'Enter <b>{name}</b>.': 'Geben Sie {name} ein.' }, 'de')[0]).toMatch(/placeholders/);
    expect(catalogProblems(english, { ...complete, Extra: 'Extra' }, 'de')).toEqual(['de: key "Extra" is not in English']);
  });
});

describe('every string the code shows goes through a catalog', () => {
  it('web/src: no user-visible literal outside t()/rich(), and the English catalog is exactly the keys the code uses', () => {
    const { keys, problems } = scanWebSources() as { keys: Map<string, string>; problems: string[] };
    expect(problems).toEqual([]);
    const english = readCatalog('en', 'web');
    // Run `node scripts/web-messages.mjs --write` after changing a message, then translate the new keys.
    expect(english).toEqual(webEnglish(keys, english));
  });

  it('the literal scan catches a forgotten string', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'twofold-scan-'));
    writeFileSync(
      path.join(dir, 'forgotten.tsx'),
      "export const X = (n: number): unknown => <p title=\"Not translated\">Forgotten words {t('Save')}</p>;\nexport const Y = 'Also forgotten here.';\nexport const Z = (n: number): string => `Only ${n} codes left`;\nexport const ok = 'button button-primary';\n",
    );
    try {
      const { problems, keys } = scanWebSources(dir) as { problems: string[]; keys: Map<string, string> };
      const text = problems.join('\n');
      for (const forgotten of ['Forgotten words', 'title="Not translated"', 'Also forgotten here.', 'Only ${n} codes left']) expect(text).toContain(forgotten);
      expect(text).not.toContain('button-primary');
      expect([...keys.keys()]).toEqual(['Save']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('src/: every sentence a client or a mail shows is a key of the English server or mail catalog', () => {
    const { server, mail, problems } = scanServerSources() as { server: Map<string, string>; mail: Map<string, string>; problems: string[] };
    expect(problems).toEqual([]);
    expect(readCatalog('en', 'server')).toEqual(serverEnglish(server));
    expect(readCatalog('en', 'mail')).toEqual(serverEnglish(mail));
  });

  it("core's password sentences (built from its constants) are catalog keys", () => {
    const english = readCatalog('en', 'server');
    for (const password of ['short', 'x'.repeat(300), 'password123']) {
      const reason = checkPasswordStrength(password);
      expect(reason).not.toBeNull();
      expect(english).toHaveProperty([reason!]);
    }
  });
});
