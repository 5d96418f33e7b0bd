import { recipientContext } from '../notifications/recipients';

/**
 * Where Referee stores values encrypted with the personal-data cipher (PiiCipher, PII_KEYS):
 * the one list `npm run keys:rewrap` walks to move them all under the newest key. A new
 * encrypted column is added here, and only here; test/keys-rewrap.spec.ts fails while a
 * column holds PiiCipher ciphertext that this list does not name.
 *
 * Each value is bound to its row by the context it was encrypted with; `context` rebuilds it
 * exactly as the module that writes the value does (named beside each entry). A document's
 * file key is one of these values: rewrapping it leaves the stored file's bytes as they are.
 */
export interface EncryptedColumn {
  table: string;
  /** The primary-key column (the row id named in errors; the order of the batches). */
  key: string;
  column: string;
  /** For a JSON column: the field of its object that holds the ciphertext. */
  field?: string;
  /** Other columns `context` reads. */
  reads?: readonly string[];
  /** The context the writer encrypted the value with. */
  context(row: Readonly<Record<string, string>>): string;
}

const caseField = (field: string) => (row: Readonly<Record<string, string>>) => `verification_case:${row.id}:${field}`;

export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  // verification/verification.service.ts: the SSN or ITIN, the date of birth, the home address.
  { table: 'verification_case', key: 'id', column: 'identifier', context: caseField('identifier') },
  { table: 'verification_case', key: 'id', column: 'date_of_birth', context: caseField('dateOfBirth') },
  { table: 'verification_case', key: 'id', column: 'address', context: caseField('address') },
  // verification/drafts.ts: what was typed before Save & Exit.
  { table: 'verification_case', key: 'id', column: 'draft', context: caseField('draft') },
  // verified-identity/verified-identities.service.ts: the claims shared with organizations.
  { table: 'verified_identity', key: 'account_id', column: 'details_sealed', context: (row) => `verified_identity:${row.account_id}:details` },
  // documents/document-files.service.ts: each stored image's own key.
  { table: 'document_file', key: 'id', column: 'wrapped_key', context: (row) => `document_file:${row.id}` },
  // support/support.service.ts: the reply address of someone not signed in, and every message.
  { table: 'support_request', key: 'id', column: 'email_cipher', context: (row) => `support_request:${row.id}:email` },
  { table: 'support_message', key: 'id', column: 'body_cipher', context: (row) => `support_message:${row.id}:body` },
  // video/calls.service.ts: the agent's notes and the applicant's helper.
  { table: 'video_call', key: 'id', column: 'notes_cipher', context: (row) => `video_call:${row.id}:notes` },
  { table: 'call_preference', key: 'verification_case_id', column: 'helper_cipher', context: (row) => `call_preference:${row.verification_case_id}:helper` },
  // notifications/notifications.service.ts: the email address or phone number of each message.
  { table: 'outbox_message', key: 'id', column: 'recipient', context: (row) => recipientContext(row.id) },
  // mfa/code-generator.service.ts and phone-codes.service.ts: a TOTP secret or a phone number, by kind.
  { table: 'mfa_method', key: 'id', column: 'secret_sealed', reads: ['kind'], context: (row) => row.kind },
  { table: 'mfa_pending', key: 'id', column: 'data', field: 'secretSealed', context: () => 'totp' },
  { table: 'mfa_pending', key: 'id', column: 'data', field: 'phoneSealed', context: () => 'phone' },
  // oidc/signing-keys.service.ts: the ID-token signing keys' private halves.
  { table: 'oidc_signing_key', key: 'kid', column: 'private_jwk_sealed', context: (row) => `oidc_signing_key:${row.kid}:private_jwk` },
  // video/recordings.service.ts: each recording's file key, and a JaaS download link until it is fetched.
  { table: 'recording', key: 'id', column: 'wrapped_key', context: (row) => `recording:${row.id}` },
  { table: 'recording_download', key: 'id', column: 'link_cipher', context: (row) => `recording_download:${row.id}:link` },
];

/** "table.column" or "table.column.field", as the command prints it. */
export function columnName(c: EncryptedColumn): string {
  return [c.table, c.column, c.field].filter(Boolean).join('.');
}
