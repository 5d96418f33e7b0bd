/** What a support request is about. The person picks one; fraud reports have their own form. */
export const SUPPORT_CATEGORIES = ['account', 'verification', 'documents', 'video_call', 'organizations', 'privacy', 'accessibility', 'other'] as const;
export type SupportCategory = (typeof SUPPORT_CATEGORIES)[number];

export const REQUEST_CATEGORIES = [...SUPPORT_CATEGORIES, 'fraud'] as const;
export type RequestCategory = (typeof REQUEST_CATEGORIES)[number];

/** Catalog keys (content/messages/<language>/support.json): pages and emails show them in the reader's language. */
export const CATEGORY_LABELS = Object.fromEntries(REQUEST_CATEGORIES.map((c) => [c, `support.category.${c}`])) as Record<RequestCategory, string>;

/** The two things someone reports (from the help centre and, later, the call pages). */
export const FRAUD_KINDS = ['video_link', 'someone_verifying_as_me'] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number];

export const FRAUD_KIND_LABELS = Object.fromEntries(FRAUD_KINDS.map((k) => [k, `support.fraudKind.${k}`])) as Record<FraudKind, string>;

/** open: waiting for Referee; answered: waiting for the person; closed: done. */
export const REQUEST_STATUSES = ['open', 'answered', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const STATUS_LABELS = Object.fromEntries(REQUEST_STATUSES.map((s) => [s, `support.status.${s}`])) as Record<RequestStatus, string>;

export const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

/** The longest message we take (a form field, not an essay: long stories are better told in a follow-up). */
export const MESSAGE_MAX = 5000;

/** What every support page shows its values with (labels are catalog keys the templates translate). */
export const SUPPORT_LABELS = { categoryLabels: CATEGORY_LABELS, statusLabels: STATUS_LABELS, fraudKindLabels: FRAUD_KIND_LABELS, messageMax: MESSAGE_MAX };
