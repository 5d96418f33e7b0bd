import { z } from 'zod';
import { fieldError, textField } from '../web/form';
import { isTimeZone } from '../scheduling/time-zones';

/**
 * The deletion request: "I understand" ticked, and the browser's time zone (a hidden field
 * the page's script fills) when it says one we know. Who is asking was confirmed just before
 * (ConfirmedGuard: password and second factor).
 */
export const DeletionRequestForm = z
  .object({ understand: textField(), timeZone: textField() })
  .superRefine(({ understand }, ctx) => {
    if (understand !== 'yes') fieldError(ctx, 'understand', 'deletion.request.errors.understand');
  })
  .transform(({ timeZone }) => ({ timeZone: isTimeZone(timeZone) ? timeZone : 'UTC' }));

/** "Keep my account": where to go on (an OpenID sign-in the deletion page interrupted), a local path only. */
export const KeepForm = z.object({ next: textField() });
