import { z } from 'zod';
import { textField } from '../web/form';

/**
 * The verification pages' forms, each declared once. A field's error is a catalog key,
 * shown next to the field and, in page order, in the error summary.
 */

/** Save & Exit, from a step's own form: `draftStep` names the step whose fields become a draft (drafts.ts). */
export const SaveAndExitForm = z.object({ draftStep: textField() });
