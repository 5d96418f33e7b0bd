import { z } from 'zod';
import { fieldError, trimmedField } from '../web/form';

/** An organization's fields as the service takes them; the service validates every URL (its errors come back per field). */
export const OrganizationForm = z.object({
  name: trimmedField(),
  /** One redirect URI a line. */
  redirectUris: trimmedField().transform((value) => value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean)),
  logoUri: trimmedField().transform((value) => value || undefined),
  initiateLoginUri: trimmedField().transform((value) => value || undefined),
  requiresSsn: z.unknown().optional().transform((value) => value === 'yes'),
});

/** A new organization needs a name too (an edit without one is the service's to answer). */
export const NewOrganizationForm = OrganizationForm.superRefine(({ name }, ctx) => {
  if (!name) fieldError(ctx, 'name', 'oidc.admin.errors.name');
});
