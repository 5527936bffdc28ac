import { dictionary } from '@zxcvbn-ts/language-common';

// NIST SP 800-63B §3.1.1.2: new passwords are compared against values known to be commonly used
// or compromised. The list is zxcvbn-ts's (about 49,000 passwords most often found in breach
// corpora), loaded once on first use; entries are lower-case, so the comparison is too.
let common: Set<string> | undefined;

/** Whether `password` is on the list of commonly used or breached passwords (any letter case). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common']);
  return common.has(password.toLowerCase());
}
