import type { FastifySchemaValidationError } from 'fastify';
import type { Text } from '../core/text.ts';
import { localize } from '../i18n/format.ts';

/**
 * Schema failures as sentences a person can act on. A validator's own wording ("body/username
 * must NOT have fewer than 1 characters") is for developers and is never sent: `message` is
 * documented as safe to show, so every client may put it on screen as it is.
 */
interface FieldSentences {
  missing: string;
  invalid: string;
}

// Whole sentences per field (no sentence built from parts), so a catalog can take them later.
const FIELDS: Record<string, FieldSentences> = {
  username: { missing: 'Enter your username.', invalid: 'Enter a valid username (at most 64 characters).' },
  password: { missing: 'Enter your password.', invalid: 'The password is too long (at most 1024 characters).' },
  currentPassword: { missing: 'Enter your current password.', invalid: 'The current password is too long (at most 1024 characters).' },
  newPassword: { missing: 'Enter a new password.', invalid: 'The new password is too long (at most 1024 characters).' },
  code: {
    missing: 'Enter the code.',
    invalid: 'Enter the 6-digit code, or a recovery code such as ABCDE-FGHJK where one is accepted.',
  },
  challengeId: { missing: 'This sign-in is not valid any more. Log in again.', invalid: 'This sign-in is not valid any more. Log in again.' },
  method: { missing: 'Choose how to prove it is you: totp, email or recovery_code.', invalid: 'Choose how to prove it is you: totp, email or recovery_code.' },
  client: { missing: 'The client kind is missing: web, desktop or mobile.', invalid: 'The client kind must be web, desktop or mobile.' },
  deviceName: { missing: 'Enter a device name, or leave the field out.', invalid: 'The device name must be 1 to 100 characters.' },
  email: { missing: 'Enter an email address.', invalid: 'Enter a valid email address (at most 254 characters).' },
  displayName: { missing: 'Enter a display name, or leave the field out.', invalid: 'The display name is too long (at most 128 characters).' },
  role: { missing: 'Choose a role: user or admin.', invalid: 'The role must be user or admin.' },
  limit: { missing: 'Give a page size from 1 to 999.', invalid: 'The page size must be a number from 1 to 999.' },
  before: { missing: 'Give the cursor from a previous page.', invalid: 'The cursor is not one from a previous page.' },
  id: { missing: 'Name the session.', invalid: 'No such session.' },
  language: { missing: 'Choose a language.', invalid: 'Choose one of the languages this server offers, or null to follow the browser.' },
};

const UNKNOWN_FIELD = 'The request has a field this server does not know: "{field}". Remove it and try again.';
const GENERIC = 'The request is not valid: a field is missing or has the wrong form.';

/** The field a schema error is about: the missing property, or the last part of the path. */
function fieldOf(error: FastifySchemaValidationError): string | null {
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: unknown }).missingProperty;
    return typeof missing === 'string' ? missing : null;
  }
  const last = error.instancePath.split('/').filter(Boolean).pop();
  return last ?? null;
}

export function describeValidationError(errors: FastifySchemaValidationError[]): { message: string | Text; field?: string } {
  const first = errors[0];
  if (first === undefined) return { message: GENERIC };
  if (first.keyword === 'additionalProperties') {
    const extra = String((first.params as { additionalProperty?: unknown }).additionalProperty ?? '');
    // Only a plain name is repeated back: this text is shown as is.
    const safe = /^[A-Za-z0-9_.-]{1,64}$/.test(extra) ? extra : '?';
    return { message: localize(UNKNOWN_FIELD, { field: safe }) };
  }
  const field = fieldOf(first);
  const sentences = field === null ? undefined : FIELDS[field];
  if (field === null || sentences === undefined) return { message: GENERIC };
  const isMissing = first.keyword === 'required' || (first.keyword === 'minLength' && (first.params as { limit?: unknown }).limit === 1);
  return { message: isMissing ? sentences.missing : sentences.invalid, field };
}
