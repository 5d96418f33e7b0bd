import { z } from 'zod';
import { emailProblem } from '../identity/identity.service';
import { emailField } from '../identity/forms';
import { fieldError, textField, trimmedField } from '../web/form';
import { isStaffRole, type StaffRole } from './roles';

/** Giving someone a staff role: their email (an account is made if there is none) and the role. */
export const StaffGrantForm = z
  .object({ email: emailField(), role: z.unknown().optional() })
  .superRefine(({ email, role }, ctx) => {
    fieldError(ctx, 'email', emailProblem(email));
    if (!isStaffRole(role)) fieldError(ctx, 'role', 'staff.errors.role');
  })
  .transform(({ email, role }) => ({ email, role: role as StaffRole }));

/** Taking a role away from a staff member (the admin role never from oneself: the controller checks). */
export const RevokeRoleForm = z
  .object({ role: z.unknown().optional() })
  .superRefine(({ role }, ctx) => {
    if (!isStaffRole(role)) fieldError(ctx, 'role', 'staff.errors.role');
  })
  .transform(({ role }) => ({ role: role as StaffRole }));

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day as a date field sends it (YYYY-MM-DD), if it is one: JavaScript would read 2026-02-31 as 3 March. */
function dayOf(day: string): Date | undefined {
  const date = DAY.test(day) ? new Date(`${day}T00:00:00Z`) : undefined;
  return date && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day ? date : undefined;
}

/** The day a Trusted Referee was trained (a real date, not in the future): their certification runs from it. */
export const CertificationForm = z
  .object({ trainedOn: textField().transform(dayOf) })
  .superRefine(({ trainedOn }, ctx) => {
    if (!trainedOn || trainedOn.getTime() > Date.now()) fieldError(ctx, 'trainedOn', 'staff.notices.badDate');
  })
  .transform(({ trainedOn }) => ({ trainedOn: trainedOn! }));

/** The audit log's search: a case id, and an agent by email address or account id. */
export const AuditSearch = z.object({ case: trimmedField(), actor: trimmedField() });

// ---- the supervisor's actions on claimed work -------------------------------------------
// No rules here: every field has a fallback ('') and the service decides (a claim that moved is 'changed').

/** `from`: the reviewer who held the claim when the page was shown (a claim that moved since is not released). */
export const ReleaseReviewForm = z.object({ from: textField() });

/** `to`: one of the reviewers signed in now (the service checks; the page says so next to the field). */
export const ReassignReviewForm = z.object({ from: textField(), to: textField() });

/** `agent`: the Trusted Referee on the call when the page was shown. */
export const ReleaseCallForm = z.object({ agent: textField() });

/** The supervisor page's address: its live part only (`live=1`, htmx), and what was just done. */
export const DashboardQuery = z.object({ live: textField().transform((live) => live === '1'), done: textField() });
