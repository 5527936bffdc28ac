#!/usr/bin/env node
// The web client's messages as the code uses them: every t('...') / rich('...') key, and every
// user-visible literal that bypasses the catalog (JSX text, label-like attributes, sentences).
// `node scripts/web-messages.mjs --write` adds new keys to locales/en/web.json (English keys are
// their own messages) and drops keys no code uses; the test test/web/catalogs.test.ts fails when
// the English catalog is not what this would write, or when a literal bypasses the catalog.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WEB_SRC = path.join(root, 'web', 'src');
const TRANSLATORS = new Set(['t', 'rich']);
// Attributes a person reads or hears (screen readers included).
const VISIBLE_ATTRIBUTES = new Set(['label', 'hint', 'title', 'placeholder', 'aria-label', 'alt', 'description', 'data-label', 'aria-description']);
// Literals that are shown but are not words: an example of the code format, a brand name.
const NOT_WORDS = new Set(['ABCDE-FGHJK', 'Twofold']);
/** Catalog entries that no t() call names: read by key from code (i18n.ts). */
export const META_KEYS = ['$languageName'];

function listSources(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return listSources(full);
    return /\.tsx?$/.test(entry) && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

const CODE_ATTRIBUTES = new Set(['class', 'className', 'id', 'for', 'htmlFor', 'key', 'style', 'href', 'name', 'value', 'aria-labelledby', 'aria-describedby', 'aria-controls', 'data-testid']);
function isCodeAttributeValue(node) {
  const expression = node.parent;
  const attribute = expression?.parent;
  return expression !== undefined && ts.isJsxExpression(expression) && attribute !== undefined && ts.isJsxAttribute(attribute) && CODE_ATTRIBUTES.has(attribute.name.getText());
}
const hasWords = (text) => /\p{L}{2,}/u.test(text) && !NOT_WORDS.has(text.trim());
// A sentence or a label in code: starts with a capital letter and has a second word.
const looksLikeProse = (text) => /^\s*\p{Lu}[\p{Ll}'’-]+[\s,.:;!?]+\S/u.test(text) && !NOT_WORDS.has(text.trim());

/** Keys used by the code, and literals that bypass the catalog, with file:line for each. */
export function scanWebSources(dir = WEB_SRC) {
  const keys = new Map();
  const problems = [];
  for (const file of listSources(dir)) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    const where = (node) => `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const visit = (node, insideTranslator) => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && TRANSLATORS.has(node.expression.text)) {
        const [first, ...rest] = node.arguments;
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
          if (!keys.has(first.text)) keys.set(first.text, where(first));
        } else if (path.basename(file) !== 'i18n.ts') problems.push(`${where(node)}: ${node.expression.text}() needs a literal key, so the catalogs can be checked`);
        for (const argument of rest) visit(argument, false);
        return;
      }
      // Calls such as document.getElementById('x') or new Blob(..., { type: 'text/plain' }) are code, not words.
      if (ts.isJsxText(node)) {
        if (hasWords(node.text)) problems.push(`${where(node)}: JSX text "${node.text.trim()}" is not in the catalog`);
      } else if (ts.isJsxAttribute(node)) {
        const name = node.name.getText(source);
        const value = node.initializer;
        if (VISIBLE_ATTRIBUTES.has(name) && value && ts.isStringLiteral(value) && hasWords(value.text)) {
          problems.push(`${where(node)}: ${name}="${value.text}" is not in the catalog`);
        }
      } else if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !insideTranslator) {
        if (looksLikeProse(node.text)) problems.push(`${where(node)}: "${node.text}" looks like words for a person; use t()`);
      } else if (ts.isTemplateExpression(node) && isCodeAttributeValue(node)) {
        // class={`badge badge-${state}`}, id={`${id}-hint`}: names for the code, not words.
      } else if (ts.isTemplateExpression(node)) {
        const parts = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)];
        if (parts.some((part) => looksLikeProse(part) || /\p{L}{2,}\s+\p{L}{2,}/u.test(part))) problems.push(`${where(node)}: template \`${node.getText(source).slice(1, 60)}\` builds words outside the catalog`);
      }
      ts.forEachChild(node, (child) => visit(child, insideTranslator));
    };
    visit(source, false);
  }
  return { keys, problems };
}

/** The English catalog this code needs: each key is its own English message. */
export function englishCatalog(keys, current = {}) {
  const catalog = {};
  for (const meta of META_KEYS) catalog[meta] = current[meta] ?? 'English';
  for (const key of [...keys.keys()].sort()) catalog[key] = current[key] ?? key;
  return catalog;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { keys, problems } = scanWebSources();
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (process.argv.includes('--write')) {
    const file = path.join(root, 'locales', 'en', 'web.json');
    let current = {};
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      current = {};
    }
    writeFileSync(file, `${JSON.stringify(englishCatalog(keys, current), null, 2)}\n`);
    process.stderr.write(`${keys.size} messages in locales/en/web.json\n`);
  }
  process.exitCode = problems.length > 0 ? 1 : 0;
}
