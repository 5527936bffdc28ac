#!/usr/bin/env node
// The server's messages as the code has them: every sentence a client or a mail may show, found
// in src/{flows,http,core,mail}. Literal sentences are their own keys (server namespace, or mail
// for src/mail); localize('...') keys are server messages, say('...') keys mail ones. Sentences
// built with a template literal are reported: they cannot be translated.
// `node scripts/server-messages.mjs --write` writes locales/en/{server,mail}.json from the code.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['src/flows', 'src/http', 'src/core', 'src/mail'];
// Words for logs, metrics and stored data (an authenticator's default name), not for a person's screen.
// CLIENT_LABELS: stored device names (core/device-names.ts), data like a user's own label.
const NOT_SHOWN_PROPERTIES = new Set(['help', 'label', 'defaultName', 'name', 'msg', 'CLIENT_LABELS']);
const NOT_SHOWN_CALLS = new Set(['warn', 'error', 'info', 'debug', 'fatal', 'trace', 'Error', 'TypeError', 'RangeError']);
/**
 * Sentences core/ builds from its own constants (core may not depend on the catalogs); their
 * rendered English is listed here, and the catalog test checks them against core's output.
 */
export const CORE_RENDERED = ['Password must be at least 8 characters.', 'Password must be at most 256 characters.'];

const looksLikeProse = (text) => /^\s*\p{Lu}[\p{Ll}'’-]*[\s,.:;!?]+\S/u.test(text) || /^\s*\p{Lu}\p{Ll}+\.$/u.test(text);

function listSources(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return listSources(full);
    return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

function calleeName(call) {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return null;
}

export function scanServerSources() {
  const server = new Map();
  const mail = new Map();
  const problems = [];
  for (const dir of DIRS) {
    for (const file of listSources(path.join(root, dir))) {
      const text = readFileSync(file, 'utf8');
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const relative = path.relative(root, file);
      const where = (node) => `${relative}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
      const literalsGoTo = relative.startsWith('src/mail/') ? mail : server;
      // const NAME = '...' in this file, for localize(NAME, ...) with a placeholder the prose test misses.
      const constants = new Map();
      const collect = (node) => {
        if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isStringLiteral(node.initializer)) {
          constants.set(node.name.text, node.initializer.text);
        }
        ts.forEachChild(node, collect);
      };
      collect(source);
      const visit = (node) => {
        if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
        if (ts.isCallExpression(node)) {
          const name = calleeName(node);
          if (name === 'localize' || name === 'say') {
            const [first, ...rest] = node.arguments;
            const target = name === 'say' ? mail : server;
            // A literal, a constant of this file, or a choice between such (localize(known ? A : B, ...)).
            const keysOf = (node) => {
              if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
              if (ts.isIdentifier(node) && constants.has(node.text)) return [constants.get(node.text)];
              if (ts.isConditionalExpression(node)) return [...keysOf(node.whenTrue), ...keysOf(node.whenFalse)];
              if (ts.isParenthesizedExpression(node)) return keysOf(node.expression);
              return [];
            };
            if (first && ts.isTemplateExpression(first)) problems.push(`${where(node)}: ${name}() needs a literal key or a constant`);
            else if (first) for (const key of keysOf(first)) target.set(key, where(first));
            rest.forEach(visit);
            return;
          }
          if (name !== null && NOT_SHOWN_CALLS.has(name)) return;
        }
        if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && NOT_SHOWN_CALLS.has(node.expression.text)) return;
        if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && NOT_SHOWN_PROPERTIES.has(node.name.text)) return;
        if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && NOT_SHOWN_PROPERTIES.has(node.name.text)) return;
        if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && looksLikeProse(node.text)) {
          if (!literalsGoTo.has(node.text)) literalsGoTo.set(node.text, where(node));
        } else if (ts.isTemplateExpression(node)) {
          const parts = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)];
          const prose = parts.some((part) => looksLikeProse(part) || /\p{L}{2,}\s+\p{L}{2,}/u.test(part));
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
          const marked = text.split('\n').slice(Math.max(0, line - 3), line).some((l) => l.includes('i18n: markup, not words'));
          if (prose && !marked && !relative.startsWith('src/core/')) problems.push(`${where(node)}: a sentence built by a template literal cannot be translated; use localize()`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  for (const key of CORE_RENDERED) server.set(key, 'src/core/passwords.ts');
  return { server, mail, problems };
}

export function englishCatalog(keys) {
  return Object.fromEntries([...keys.keys()].sort().map((key) => [key, key]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { server, mail, problems } = scanServerSources();
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (process.argv.includes('--write')) {
    writeFileSync(path.join(root, 'locales', 'en', 'server.json'), `${JSON.stringify(englishCatalog(server), null, 2)}\n`);
    writeFileSync(path.join(root, 'locales', 'en', 'mail.json'), `${JSON.stringify(englishCatalog(mail), null, 2)}\n`);
    process.stderr.write(`${server.size} server and ${mail.size} mail messages in locales/en\n`);
  }
  process.exitCode = problems.length > 0 ? 1 : 0;
}
