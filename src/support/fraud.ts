import type { FraudKind } from './categories';

export interface NextStep {
  text: string;
  link?: { href: string; label: string };
}

/**
 * What someone who reports fraud should do now. One list, shown on the page after the
 * report and sent in the email, so the two never say different things.
 */
export const FRAUD_NEXT_STEPS: Record<FraudKind, NextStep[]> = {
  video_link: [
    { text: 'Do not open the link, and do not reply to whoever sent it.' },
    {
      text: 'Referee video calls start only from your own Referee account: sign in and select Join video call. We never send call links by text message, chat app or social media, and nobody else can send one for us.',
      link: { href: '/sign-in', label: 'Sign in to Referee' },
    },
    {
      text: 'If you already joined that call, or gave anyone your documents, a sign-in code or your password, change your password now and check your sign-in methods.',
      link: { href: '/password-reset', label: 'Reset your password' },
    },
    { text: 'If you are on a Referee video call now, tell your Trusted Referee about the link straight away.' },
    { text: 'A Referee supervisor will look at your report and email you if we need anything more from you.' },
  ],
  someone_verifying_as_me: [
    {
      text: 'Change your password, to one you use nowhere else. If you cannot sign in, reset it from the sign-in page.',
      link: { href: '/password-reset', label: 'Reset your password' },
    },
    {
      text: 'Sign in and check your sign-in methods. Remove any you do not recognize.',
      link: { href: '/mfa/methods', label: 'Check your sign-in methods' },
    },
    {
      text: 'Check which organizations you share your information with, and stop sharing with any you do not recognize.',
      link: { href: '/account/organizations', label: 'See your connected organizations' },
    },
    { text: 'A Referee supervisor will review the verifications and calls connected to your details, stop any that are not yours, and email you when they have looked into it.' },
    { text: 'Tell the organization whose service was involved. They may have their own fraud process.' },
    {
      text: 'If you are a U.S. resident, you can also report identity theft to the Federal Trade Commission.',
      link: { href: 'https://www.identitytheft.gov/', label: 'IdentityTheft.gov' },
    },
  ],
};
