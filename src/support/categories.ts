/** What a support request is about. The person picks one; fraud reports have their own form. */
export const SUPPORT_CATEGORIES = ['account', 'verification', 'documents', 'video_call', 'organizations', 'privacy', 'accessibility', 'other'] as const;
export type SupportCategory = (typeof SUPPORT_CATEGORIES)[number];

export const REQUEST_CATEGORIES = [...SUPPORT_CATEGORIES, 'fraud'] as const;
export type RequestCategory = (typeof REQUEST_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<RequestCategory, string> = {
  account: 'Signing in and your account',
  verification: 'Verifying your identity',
  documents: 'Your documents',
  video_call: 'Video calls and appointments',
  organizations: 'Sharing your information with an organization',
  privacy: 'Privacy and your data, including asking us to delete it',
  accessibility: 'Accessibility',
  other: 'Something else',
  fraud: 'Fraud report',
};

/** The two things someone reports (from the help centre and, later, the call pages). */
export const FRAUD_KINDS = ['video_link', 'someone_verifying_as_me'] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number];

export const FRAUD_KIND_LABELS: Record<FraudKind, string> = {
  video_link: 'Someone sent me a video call link',
  someone_verifying_as_me: 'I think someone is verifying as me',
};

/** open: waiting for Referee; answered: waiting for the person; closed: done. */
export const REQUEST_STATUSES = ['open', 'answered', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const STATUS_LABELS: Record<RequestStatus, string> = {
  open: 'Waiting for Referee',
  answered: 'Answered',
  closed: 'Closed',
};

export const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

/** The longest message we take (a form field, not an essay: long stories are better told in a follow-up). */
export const MESSAGE_MAX = 5000;

/** What every support page shows its values with. */
export const SUPPORT_LABELS = { categoryLabels: CATEGORY_LABELS, statusLabels: STATUS_LABELS, fraudKindLabels: FRAUD_KIND_LABELS, messageMax: MESSAGE_MAX };
