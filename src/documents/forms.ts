import { z } from 'zod';
import type { Language } from '../i18n/languages';
import { parsePhone } from '../mfa/phone';
import { fieldError, textField, trimmedField } from '../web/form';
import { isRejectReason, type RejectReason } from './document-review.entity';
import type { ItemDecision } from './document-review.entity';
import type { Item } from './sides';

/** "Continue": the documents meet the requirements (the box is ticked). Missing documents are the service's to say. */
export const SubmitDocumentsForm = z.object({ confirm: textField().transform((value) => value === 'yes') });

/** "Text me a link": a phone number for a country (or with its own +code), checked as the sign-in codes' numbers are. */
export const captureLinkForm = (language: Language) =>
  z
    .object({ country: textField(), number: textField().transform((value) => value.slice(0, 40)) })
    .transform(({ country, number }) => ({ country, number, phone: parsePhone(country, number, language) }))
    .superRefine(({ phone }, ctx) => fieldError(ctx, 'number', 'error' in phone ? phone.error : undefined))
    .transform(({ phone }) => ({ e164: 'e164' in phone ? phone.e164 : '' }));

/** A held photo: "Use this photo anyway" or "Take another photo". */
export const HeldPhotoForm = z.object({ choice: z.enum(['use', 'retake']).catch('retake') });

/** The reviewer's decision on each document of a case: accept, or reject with at least one reason (and a note). */
export const reviewDecisionForm = (items: Item[]) =>
  z
    .object(
      Object.fromEntries(
        items.flatMap((_, i) => [
          [`decision-${i}`, textField()],
          // One ticked box arrives as a string, several as an array; unknown codes are dropped.
          [`reasons-${i}`, z.union([z.string().transform((r) => [r]), z.array(z.string())]).catch([]).transform((rs) => rs.filter(isRejectReason))],
          [`note-${i}`, trimmedField().transform((note) => note.slice(0, 500))],
        ]),
      ),
    )
    .superRefine((form, ctx) =>
      items.forEach((_, i) => {
        const decision = form[`decision-${i}`] as string;
        if (decision !== 'accepted' && decision !== 'rejected') fieldError(ctx, `decision-${i}`, 'agent.review.errors.decide');
        else if (decision === 'rejected' && !(form[`reasons-${i}`] as RejectReason[]).length) fieldError(ctx, `reasons-${i}`, 'agent.review.errors.reasons');
      }),
    )
    .transform((form) =>
      Object.fromEntries(
        items.map((item, i): [string, ItemDecision] => {
          const decision = form[`decision-${i}`] as 'accepted' | 'rejected';
          const note = form[`note-${i}`] as string;
          return [item.key, { decision, reasons: decision === 'rejected' ? (form[`reasons-${i}`] as RejectReason[]) : [], ...(note ? { note } : {}) }];
        }),
      ),
    );
