import { z } from 'zod';
import { emailProblem } from '../identity/identity.service';
import { emailField } from '../identity/forms';
import { fieldError } from '../web/form';
import { isStaffRole, type StaffRole } from './roles';

/** Giving someone a staff role: their email (an account is made if there is none) and the role. */
export const StaffGrantForm = z
  .object({ email: emailField(), role: z.unknown().optional() })
  .superRefine(({ email, role }, ctx) => {
    fieldError(ctx, 'email', emailProblem(email));
    if (!isStaffRole(role)) fieldError(ctx, 'role', 'staff.errors.role');
  })
  .transform(({ email, role }) => ({ email, role: role as StaffRole }));
