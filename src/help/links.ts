/**
 * Where each step's "Learn more" link goes: stable addresses of help articles and their
 * sections (`{#id}` in the Markdown, the same in every language). The step pages belong to
 * other modules; this table is what they link to, and test/help.spec.ts checks that every
 * address here exists in every language.
 */
export interface LearnMoreLink {
  /** The page (route) the link goes on. */
  page: string;
  /** Its text. */
  label: string;
  href: string;
}

export const LEARN_MORE: LearnMoreLink[] = [
  // Verification (views/verification)
  { page: '/verify/how', label: 'Learn more about the short video call', href: '/help/short-video-call' },
  { page: '/verify/how', label: "Learn more about verifying if you don't live in the United States", href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/phone', label: "Learn more about verifying without a U.S. phone number", href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/address', label: 'Learn more about verifying without a U.S. address', href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/ssn', label: 'Learn more about verifying without a Social Security number', href: '/help/extended-video-call#international-links' },
  { page: '/verify/video-call', label: 'Learn more about the extended video call', href: '/help/extended-video-call' },
  { page: '/verify/video-call', label: 'Learn more about the short video call', href: '/help/short-video-call' },
  { page: '/verify/details', label: 'Learn more about entering your information', href: '/help/extended-video-call#enter-your-information' },
  { page: '/verify/ssn', label: 'Read the full Fair Credit Reporting Act notice', href: '/policies/fair-credit-reporting-act' },
  { page: '/verify/ssn', label: 'Learn more about using an ITIN instead', href: '/help/itin' },
  { page: '/verify/itin', label: 'Learn more about using your ITIN', href: '/help/itin' },
  { page: '/verify/itin', label: 'Learn more about organizations that require an SSN', href: '/help/troubleshooting-international#ssn-required' },
  { page: '/verify/no-ssn-or-itin', label: 'Learn more about verifying with a non-U.S. passport', href: '/help/non-us-passport' },
  { page: '/verify/no-ssn-or-itin', label: 'Learn more about organizations that require an SSN', href: '/help/troubleshooting-international#ssn-required' },
  { page: '/verify/documents/primary', label: 'Learn more about choosing your documents', href: '/help/extended-video-call#choose-your-documents' },
  { page: '/verify/documents/second', label: 'Learn more about choosing your documents', href: '/help/extended-video-call#choose-your-documents' },
  { page: '/verify/documents/supporting', label: 'Learn more about documents in another language or a different name', href: '/help/troubleshooting-international#documents-in-another-language' },
  { page: '/verify/documents/review', label: 'Learn more about sending your documents', href: '/help/extended-video-call#send-your-documents' },
  // Documents, queue and call (built by later issues)
  { page: '/documents', label: 'Learn more about sending your documents', href: '/help/extended-video-call#send-your-documents' },
  { page: '/documents/review', label: 'Learn more about scheduling a video call', href: '/help/appointments#schedule' },
  { page: '/call', label: 'Learn more about scheduling, changing and canceling appointments', href: '/help/appointments' },
  { page: '/call', label: 'Learn more about getting ready for the call', href: '/help/joining-the-video-call#what-to-have-ready' },
  { page: '/call', label: 'Learn more about helpers and interpreters', href: '/help/helpers-and-interpreters' },
  { page: '/call', label: 'Someone sent me a video call link', href: '/help/report-fraud?kind=video_link' },
  { page: '/call/join', label: 'Learn more about camera and microphone permissions', href: '/help/joining-the-video-call#camera-and-microphone' },
  { page: '/call/join', label: 'Learn more about video call scams', href: '/help/video-call-scams' },
  { page: '/call/join', label: 'Someone sent me a video call link', href: '/help/report-fraud?kind=video_link' },
  { page: '/call/join', label: 'I think someone is verifying as me', href: '/help/report-fraud?kind=someone_verifying_as_me' },
  { page: '/call/verified', label: 'Learn more about sharing your information', href: '/help/extended-video-call#share-your-information' },
  { page: '/call/verified', label: 'An organization asks for an SSN', href: '/help/troubleshooting-international#ssn-required' },
  // Second factors (views/mfa)
  { page: '/mfa/setup', label: 'Learn more about ways to sign in', href: '/help/sign-in-methods' },
  { page: '/mfa/setup/passkey', label: 'Learn more about passkeys', href: '/help/sign-in-methods#passkeys' },
  { page: '/mfa/setup/totp', label: 'Learn more about code generator apps', href: '/help/sign-in-methods#code-generator-apps' },
  { page: '/mfa/setup/phone', label: "Learn more about codes that don't arrive abroad", href: '/help/troubleshooting-international#sms-abroad' },
  { page: '/mfa/phone-failed', label: "Learn more about codes that don't arrive abroad", href: '/help/troubleshooting-international#sms-abroad' },
  { page: '/mfa/backup-codes', label: 'Learn more about backup codes', href: '/help/sign-in-methods#backup-codes' },
  { page: '/mfa/challenge', label: "Can't use any of your sign-in methods?", href: '/help/sign-in-methods#lost-access' },
];
