import type { FraudKind } from './categories';

export interface NextStep {
  /** A catalog key (support.steps.*). */
  text: string;
  link?: { href: string; label: string };
}

const step = (kind: FraudKind, name: string, link?: { href: string; label: string }): NextStep => ({
  text: `support.steps.${kind}.${name}`,
  link: link && { href: link.href, label: `support.steps.links.${link.label}` },
});

/**
 * What someone who reports fraud should do now. One list, shown on the page after the
 * report and sent in the email, so the two never say different things. Text and link
 * labels are catalog keys: the page and the email put them in the reader's language.
 */
export const FRAUD_NEXT_STEPS: Record<FraudKind, NextStep[]> = {
  video_link: [
    step('video_link', 'doNotOpen'),
    step('video_link', 'onlyFromAccount', { href: '/sign-in', label: 'signIn' }),
    step('video_link', 'ifJoined', { href: '/password-reset', label: 'resetPassword' }),
    step('video_link', 'onCallNow'),
    step('video_link', 'supervisor'),
  ],
  someone_verifying_as_me: [
    step('someone_verifying_as_me', 'changePassword', { href: '/password-reset', label: 'resetPassword' }),
    step('someone_verifying_as_me', 'checkMethods', { href: '/mfa/methods', label: 'checkMethods' }),
    step('someone_verifying_as_me', 'checkOrganizations', { href: '/account/organizations', label: 'organizations' }),
    step('someone_verifying_as_me', 'supervisor'),
    step('someone_verifying_as_me', 'tellOrganization'),
    step('someone_verifying_as_me', 'ftc', { href: 'https://www.identitytheft.gov/', label: 'identityTheft' }),
  ],
};
