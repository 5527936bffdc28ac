import { describe, expect, it } from 'vitest';
import { isEmailAddress, maskEmail } from '../../src/core/email-addresses.ts';
import { checkUsername, usernameKey } from '../../src/core/usernames.ts';

describe('usernameKey', () => {
  it.each([
    ['Anna', 'anna'],
    ['ANNA', 'anna'],
    ['1001', '1001'],
    // NFC: "A" + combining ring (NFD) and the precomposed "Å" are one account.
    ['A\u030anna', '\u00e5nna'],
    ['\u00c5nna', '\u00e5nna'],
  ])('%j -> %j', (username, key) => {
    expect(usernameKey(username)).toBe(key);
  });

  it('makes case and composition variants collide, and different names not', () => {
    expect(usernameKey('Anna')).toBe(usernameKey('anna'));
    expect(usernameKey('\u00c5nna')).toBe(usernameKey('A\u030aNNA'));
    expect(usernameKey('anna')).not.toBe(usernameKey('anna2'));
    expect(usernameKey('1001')).not.toBe(usernameKey('1002'));
  });
});

describe('checkUsername', () => {
  it.each(['1001', 'anna', 'Anna Smith', 'anna.smith@example.com', 'Zoë', 'a', 'x'.repeat(64)])('accepts %j', (username) => {
    expect(checkUsername(username)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['a leading space', ' anna'],
    ['a trailing space', 'anna '],
    ['a trailing newline', 'anna\n'],
    ['a NUL', 'an\u0000na'],
    ['a control character', 'an\u0007na'],
    ['DEL', 'an\u007fna'],
    ['an inner newline', 'an\nna'],
    ['a slash', 'an/na'],
    ['a backslash', 'an\\na'],
  ])('refuses %s', (_label, username) => {
    expect(checkUsername(username)).toEqual(expect.any(String));
  });
});

describe('maskEmail', () => {
  it.each([
    ['1001@example.com', '1***@example.com'],
    ['anna.smith@example.com', 'a***@example.com'],
    ['a@b.example', 'a***@b.example'],
    // The last @ separates the domain.
    ['"a@b"@example.com', '"***@example.com'],
  ])('%s -> %s', (address, masked) => {
    expect(maskEmail(address)).toBe(masked);
  });

  it('never shows more than the first character of the local part', () => {
    expect(maskEmail('secret-name@example.com')).not.toContain('secret');
  });

  it.each(['', 'no-at-sign', '@example.com'])('masks %j completely', (address) => {
    expect(maskEmail(address)).toBe('***');
  });
});

describe('isEmailAddress', () => {
  it.each(['anna@example.com', 'a.b+tag@sub.example.org', '1001@example.co.uk'])('accepts %s', (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });

  it.each([
    '',
    'anna',
    'anna@',
    '@example.com',
    'anna@example',
    'anna smith@example.com',
    'anna@exa mple.com',
    'anna@@example.com',
    'anna@example.com\n',
    'Anna <anna@example.com>',
    'anna@example.com, bob@example.com',
    `${'a'.repeat(250)}@example.com`,
  ])('refuses %j', (address) => {
    expect(isEmailAddress(address)).toBe(false);
  });
});
