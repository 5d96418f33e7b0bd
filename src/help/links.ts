/**
 * Where each step's "Learn more" link goes: stable addresses of help articles and their
 * sections (`{#id}` in the Markdown, the same in every language). The step pages belong to
 * other modules; this table is what they link to, and test/help.spec.ts checks that every
 * address here exists in every language.
 */
export interface LearnMoreLink {
  /** The page (route) the link goes on. */
  page: string;
  /** Its text: a catalog key (content/messages/<lang>/help.json), shown with t(). */
  label: string;
  href: string;
}

export const LEARN_MORE: LearnMoreLink[] = [
  // Verification (views/verification)
  { page: '/verify/how', label: 'help.learnMore.shortVideoCall', href: '/help/short-video-call' },
  { page: '/verify/how', label: 'help.learnMore.notInUnitedStates', href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/phone', label: 'help.learnMore.noUsPhone', href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/address', label: 'help.learnMore.noUsAddress', href: '/help/extended-video-call#international-links' },
  { page: '/verify/self-service/ssn', label: 'help.learnMore.noSsn', href: '/help/extended-video-call#international-links' },
  { page: '/verify/video-call', label: 'help.learnMore.extendedVideoCall', href: '/help/extended-video-call' },
  { page: '/verify/video-call', label: 'help.learnMore.shortVideoCall', href: '/help/short-video-call' },
  { page: '/verify/details', label: 'help.learnMore.enterInformation', href: '/help/extended-video-call#enter-your-information' },
  { page: '/verify/ssn', label: 'help.learnMore.fcraNotice', href: '/policies/fair-credit-reporting-act' },
  { page: '/verify/ssn', label: 'help.learnMore.itinInstead', href: '/help/itin' },
  { page: '/verify/itin', label: 'help.learnMore.usingItin', href: '/help/itin' },
  { page: '/verify/itin', label: 'help.learnMore.ssnRequired', href: '/help/troubleshooting-international#ssn-required' },
  { page: '/verify/no-ssn-or-itin', label: 'help.learnMore.nonUsPassport', href: '/help/non-us-passport' },
  { page: '/verify/no-ssn-or-itin', label: 'help.learnMore.ssnRequired', href: '/help/troubleshooting-international#ssn-required' },
  { page: '/verify/documents/primary', label: 'help.learnMore.chooseDocuments', href: '/help/extended-video-call#choose-your-documents' },
  { page: '/verify/documents/second', label: 'help.learnMore.chooseDocuments', href: '/help/extended-video-call#choose-your-documents' },
  { page: '/verify/documents/supporting', label: 'help.learnMore.otherLanguageOrName', href: '/help/troubleshooting-international#documents-in-another-language' },
  { page: '/verify/documents/review', label: 'help.learnMore.sendDocuments', href: '/help/extended-video-call#send-your-documents' },
  // Documents, queue and call (built by later issues)
  { page: '/documents', label: 'help.learnMore.sendDocuments', href: '/help/extended-video-call#send-your-documents' },
  { page: '/documents/review', label: 'help.learnMore.scheduleCall', href: '/help/appointments#schedule' },
  { page: '/call', label: 'help.learnMore.appointments', href: '/help/appointments' },
  { page: '/call', label: 'help.learnMore.getReady', href: '/help/joining-the-video-call#what-to-have-ready' },
  { page: '/call', label: 'help.learnMore.helpers', href: '/help/helpers-and-interpreters' },
  { page: '/call', label: 'help.learnMore.sentCallLink', href: '/help/report-fraud?kind=video_link' },
  { page: '/call/join', label: 'help.learnMore.cameraAndMicrophone', href: '/help/joining-the-video-call#camera-and-microphone' },
  { page: '/call/join', label: 'help.learnMore.scams', href: '/help/video-call-scams' },
  { page: '/call/join', label: 'help.learnMore.sentCallLink', href: '/help/report-fraud?kind=video_link' },
  { page: '/call/join', label: 'help.learnMore.someoneVerifyingAsMe', href: '/help/report-fraud?kind=someone_verifying_as_me' },
  { page: '/call/verified', label: 'help.learnMore.shareInformation', href: '/help/extended-video-call#share-your-information' },
  { page: '/call/verified', label: 'help.learnMore.organizationAsksSsn', href: '/help/troubleshooting-international#ssn-required' },
  // Second factors (views/mfa)
  { page: '/mfa/setup', label: 'help.learnMore.signInMethods', href: '/help/sign-in-methods' },
  { page: '/mfa/setup/passkey', label: 'help.learnMore.passkeys', href: '/help/sign-in-methods#passkeys' },
  { page: '/mfa/setup/totp', label: 'help.learnMore.codeGeneratorApps', href: '/help/sign-in-methods#code-generator-apps' },
  { page: '/mfa/setup/phone', label: 'help.learnMore.codesAbroad', href: '/help/troubleshooting-international#sms-abroad' },
  { page: '/mfa/phone-failed', label: 'help.learnMore.codesAbroad', href: '/help/troubleshooting-international#sms-abroad' },
  { page: '/mfa/backup-codes', label: 'help.learnMore.backupCodes', href: '/help/sign-in-methods#backup-codes' },
  { page: '/mfa/challenge', label: 'help.learnMore.lostAccess', href: '/help/sign-in-methods#lost-access' },
];
