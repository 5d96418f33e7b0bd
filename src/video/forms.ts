import { z } from 'zod';
import { findDocument } from '../verification/catalog';
import type { VerificationCase } from '../verification/verification-case.entity';
import { isTimeZone } from '../scheduling/time-zones';
import { fieldError, textField, trimmedField } from '../web/form';
import { iaDocumentType, itemsFor, type DocumentDetails, type OutcomeForm } from './checklist';
import { isCallEvent, type CallEventType } from './jitsi';
import { isCallLanguage } from './languages';
import { CALL_OUTCOMES, type CallOutcome } from './video-call.entity';

/**
 * The forms of the call stage, declared once (read with readForm): the applicant's (recording
 * consent, call preferences, booking a time, the call page's event reports) and the Trusted
 * Referee's (status, hours, days off, the call's outcome). Errors are catalog keys shown next
 * to their fields.
 */

/** The agent's notes on a call: the console's character count and the stored text agree on this limit. */
export const NOTES_MAX = 2000;
const HELPER_MAX = 100;

/** A trimmed text field cut at `max` characters (a browser honours maxlength; anything else is cut, not refused). */
const shortField = (max: number) => trimmedField().transform((value) => value.slice(0, max));

/** "I agree that this video call is recorded", before joining. */
export const RecordingConsentForm = z.object({ recordingConsent: textField() }).superRefine(({ recordingConsent }, ctx) => {
  if (recordingConsent !== 'yes') fieldError(ctx, 'recordingConsent', 'call.join.errors.consent');
});

/** What call.js reports from the Jitsi IFrame API: one of the events the call record keeps (anything else is ignored). */
export const CallEventForm = z
  .object({ callId: z.string().min(1), event: z.string().refine(isCallEvent) })
  .transform(({ callId, event }) => ({ callId, event: event as CallEventType }));

/** The language of the call and, if the applicant brings one, a helper (all three of their fields then). */
export const CallPreferencesForm = z
  .object({ language: textField(), hasHelper: textField(), helperName: shortField(HELPER_MAX), helperRelationship: shortField(HELPER_MAX), helperRole: shortField(HELPER_MAX) })
  .superRefine((form, ctx) => {
    if (!isCallLanguage(form.language)) fieldError(ctx, 'language', 'call.preferences.errors.language');
    if (form.hasHelper !== 'yes') return;
    if (!form.helperName) fieldError(ctx, 'helperName', 'call.preferences.errors.helperName');
    if (!form.helperRelationship) fieldError(ctx, 'helperRelationship', 'call.preferences.errors.helperRelationship');
    if (!form.helperRole) fieldError(ctx, 'helperRole', 'call.preferences.errors.helperRole');
  })
  .transform((form) => ({
    language: form.language,
    helper: form.hasHelper === 'yes' ? { name: form.helperName, relationship: form.helperRelationship, role: form.helperRole } : undefined,
  }));
export type CallPreferencesInput = z.output<typeof CallPreferencesForm>;

/** A slot as the schedule page offers it: the start in UTC, to the minute. */
const SLOT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/;

/** Booking (or moving) an appointment: the time zone the times were shown in, and the slot. */
export const BookingForm = z
  .object({ timeZone: textField(), slot: textField() })
  .superRefine(({ timeZone, slot }, ctx) => {
    if (!isTimeZone(timeZone)) fieldError(ctx, 'timeZone', 'call.schedule.errors.zone');
    if (!SLOT.test(slot)) fieldError(ctx, 'slot', 'call.schedule.errors.slot');
  })
  .transform(({ timeZone, slot }) => ({ timeZone, startsAt: new Date(slot) }));

/** The agent's status buttons: available or away (on a call is set by taking one). */
export const AgentStatusForm = z.object({ status: z.enum(['available', 'away']) });

/** Weekly hours: checked as a shift by the scheduling module (AppointmentsService.addShiftFromForm). */
export const ShiftForm = z.object({ weekday: textField(), start: textField(), end: textField(), timeZone: textField() });

/** A day off, in the agent's time zone. */
export const DayOffForm = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/**
 * The outcome of a call, for this case (its checklist and documents): "verified" needs every
 * checklist item, the code read back, and each primary document's details as shown; the other
 * outcomes need a reason.
 */
export function outcomeForm(c: VerificationCase, helper = false) {
  const items = itemsFor(c, helper);
  const fields: Record<string, z.ZodType<string>> = {
    outcome: textField(),
    reason: shortField(500),
    notes: shortField(NOTES_MAX),
    fraud: textField(),
    code: shortField(10),
  };
  for (const item of items) fields[`check-${item.key}`] = textField();
  for (const d of c.documents) {
    fields[`doc-${d.slot}-country`] = shortField(2).transform((v) => v.toUpperCase());
    fields[`doc-${d.slot}-number`] = shortField(40);
    fields[`doc-${d.slot}-expiry`] = shortField(10);
  }
  return z
    .object(fields)
    .superRefine((form, ctx) => {
      const outcome = CALL_OUTCOMES.find((o) => o === form.outcome);
      if (!outcome) fieldError(ctx, 'outcome', 'agent.call.errors.outcome');
      if (outcome === 'verified') {
        // The console lists the items still unticked under this message.
        if (items.some((i) => form[`check-${i.key}`] !== 'yes')) fieldError(ctx, 'checklist', 'agent.call.errors.checklist');
        if (!/^\d{6}$/.test(form.code)) fieldError(ctx, 'code', 'agent.call.errors.code');
        for (const d of c.documents) {
          const doc = findDocument(d.type);
          if (doc?.kind !== 'primary') continue;
          const [country, number, expiry] = [form[`doc-${d.slot}-country`], form[`doc-${d.slot}-number`], form[`doc-${d.slot}-expiry`]];
          // Shown inside the document's own fieldset (its legend names it), so the messages need not.
          if (!/^[A-Z]{2}$/.test(country)) fieldError(ctx, `doc-${d.slot}-country`, 'agent.call.errors.country');
          if (!number) fieldError(ctx, `doc-${d.slot}-number`, 'agent.call.errors.number');
          if (doc.expires !== false && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) fieldError(ctx, `doc-${d.slot}-expiry`, 'agent.call.errors.expiry');
          else if (expiry && expiry < new Date().toISOString().slice(0, 10)) fieldError(ctx, `doc-${d.slot}-expiry`, 'agent.call.errors.expired');
        }
      }
      if (outcome && outcome !== 'verified' && !form.reason) fieldError(ctx, 'reason', 'agent.call.errors.reason');
    })
    .transform((form): OutcomeForm => {
      const documents: DocumentDetails[] = c.documents.map((d) => ({
        slot: d.slot,
        key: d.type,
        type: iaDocumentType(d.type),
        country: form[`doc-${d.slot}-country`],
        number: form[`doc-${d.slot}-number`],
        expiry: form[`doc-${d.slot}-expiry`] || undefined,
      }));
      return {
        outcome: form.outcome as CallOutcome,
        reason: form.reason || undefined,
        notes: form.notes || undefined,
        fraud: form.fraud === 'yes',
        checked: items.filter((i) => form[`check-${i.key}`] === 'yes').map((i) => i.key),
        code: form.code,
        documents,
      };
    });
}
