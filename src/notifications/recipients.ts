/**
 * Outbox recipients (email addresses, and the phone numbers of text and voice codes) are
 * personal data: stored as PiiCipher ciphertext bound to their message's row.
 */
export function recipientContext(messageId: string): string {
  return `outbox_message:${messageId}:recipient`;
}

/**
 * True for a PiiCipher ciphertext. Ciphertexts are base64url parts and never contain the
 * `@` of an address or the `+` of an E.164 number, so a recipient written in the clear by
 * an older version is never mistaken for one.
 */
export const SEALED_RECIPIENT = /^pii1(\.[A-Za-z0-9_-]+){5}$/;
export function isSealedRecipient(value: string): boolean {
  return SEALED_RECIPIENT.test(value);
}

/** A provider's error message with the recipient taken out (Twilio's and SMTP servers' name it). */
export function withoutRecipient(text: string, recipient: string): string {
  let out = text;
  for (const form of new Set([recipient, recipient.replace(/^\+/, '')]).values()) {
    if (form.length >= 3) out = out.split(new RegExp(form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')).join('[recipient]');
  }
  return out;
}
