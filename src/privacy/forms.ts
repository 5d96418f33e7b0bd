import { z } from 'zod';
import { textField } from '../web/form';
import { localPath } from '../web/redirect.exception';

/** Where to go once confirmed: a path on this site only (never another site), else the account page. */
const nextField = () => z.unknown().optional().transform((next) => localPath(next, '/account'));

/** The confirm page's address: where to come back to. Reading it never fails. */
export const ConfirmQuery = z.object({ next: nextField() });

/** The password given again; an empty one is not a try. */
export const ConfirmPasswordForm = z.object({ password: textField(), next: nextField() });

/** The second-factor page's address while confirming: the method chosen, whether a phone code was just sent. */
export const ConfirmFactorQuery = z.object({ method: textField(), next: nextField(), sent: textField().transform((sent) => sent === '1') });

/** A page of "Who saw my data" (1 when missing or not a number). */
export const AccessPageQuery = z.object({
  page: z.unknown().optional().transform((page) => {
    const n = typeof page === 'string' && /^\d{1,6}$/.test(page) ? Number(page) : 1;
    return n >= 1 ? n : 1;
  }),
});
