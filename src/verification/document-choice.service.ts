import { Injectable } from '@nestjs/common';
import { phrase, type Text } from '../i18n/messages';
import { CaseSteps, type SubmitOutcome } from './case-steps';
import {
  PRIMARY_DOCUMENTS,
  SECONDARY_DOCUMENTS,
  documentProblem,
  evaluateDocuments,
  findDocument,
  questionsFor,
  type CatalogDocument,
  type Question,
} from './catalog';
import { fullName } from './details';
import { documentIn, neededSupporting, ruleContext } from './flow';
import type { DocumentAnswers } from './forms';
import type { DocumentSlot, VerificationCase } from './verification-case.entity';

const CHOOSE = { first: 'choose_primary', second: 'choose_second' } as const;
const CHECK = { first: 'check_primary', second: 'check_second' } as const;

/**
 * Choosing documents by the catalog's rules: the primary document, on the international
 * track a second one (primary or secondary), the confirmation questions for each, and the
 * supporting documents that apply.
 */
@Injectable()
export class DocumentChoiceService {
  constructor(private readonly steps: CaseSteps) {}

  /** The documents offered for a slot (a second document: primary or secondary, but not the first one again). */
  options(c: VerificationCase, slot: DocumentSlot): { primary: CatalogDocument[]; secondary: CatalogDocument[] } {
    if (slot === 'first') return { primary: PRIMARY_DOCUMENTS, secondary: [] };
    const first = documentIn(c, 'first')?.type;
    return { primary: PRIMARY_DOCUMENTS.filter((d) => d.key !== first), secondary: SECONDARY_DOCUMENTS };
  }

  choose(accountId: string, slot: DocumentSlot, form: { document: string }): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, CHOOSE[slot], (c) => {
      const doc = findDocument(form.document);
      const offered = this.options(c, slot);
      if (!doc || ![...offered.primary, ...offered.secondary].includes(doc)) {
        return { errors: { document: slot === 'first' ? 'verification.errors.document.selectPrimary' : 'verification.errors.document.selectOne' } };
      }
      const problem = documentProblem(doc, { type: doc.key }, ruleContext(c));
      if (problem) return { errors: { document: problem } };
      if (slot === 'second') {
        const set = evaluateDocuments(ruleContext(c), [{ type: documentIn(c, 'first')!.type }, { type: doc.key }]);
        if (!set.satisfied) return { errors: { document: set.problems[set.problems.length - 1].message } };
      }
      return {
        detail: { type: doc.key },
        change: (c) => {
          const kept = c.documents.filter((d) => d.slot !== slot);
          const previous = documentIn(c, slot);
          c.documents = [...kept, previous?.type === doc.key ? previous : { slot, type: doc.key }].sort((a, b) => a.slot.localeCompare(b.slot));
        },
      };
    });
  }

  /**
   * Why the document already chosen for a slot no longer counts (the address moved to the
   * U.S. for a national ID card, or the set no longer meets the rules), for its page.
   */
  problemWithChoice(c: VerificationCase, slot: DocumentSlot): Text | undefined {
    const chosen = documentIn(c, slot);
    const doc = findDocument(chosen?.type);
    if (!chosen || !doc) return undefined;
    const problem = documentProblem(doc, { type: doc.key }, ruleContext(c));
    if (problem || slot === 'first') return problem;
    const set = evaluateDocuments(ruleContext(c), [{ type: documentIn(c, 'first')!.type }, { type: doc.key }]);
    return set.satisfied ? undefined : set.problems[set.problems.length - 1].message;
  }

  /** The chosen document of a slot and its questions. */
  questions(c: VerificationCase, slot: DocumentSlot): { doc: CatalogDocument; questions: Question[] } | undefined {
    const doc = findDocument(documentIn(c, slot)?.type);
    return doc && { doc, questions: questionsFor(doc, fullName(c)) };
  }

  /**
   * The confirmation questions. Every one answered; a "no" that ends in a certain
   * rejection (a copy, an expired or old document) is explained and saves nothing; a name
   * that differs goes on only with legal name change documentation.
   */
  check(accountId: string, slot: DocumentSlot, form: DocumentAnswers): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, CHECK[slot], (c) => {
      const { doc, questions } = this.questions(c, slot)!;
      const errors: Record<string, Text> = {};
      const answers: Partial<Record<Question['key'], boolean>> = {};
      for (const q of questions) {
        const answer = form[q.key];
        if (answer === undefined) errors[q.key] = 'verification.errors.yesOrNo';
        else answers[q.key] = answer;
      }
      if (Object.keys(errors).length) return { errors };
      const blocking = questions.filter((q) => q.key !== 'nameMatches' && answers[q.key] === false);
      const nameDiffers = answers.nameMatches === false;
      const nameChangeDocumentation = form.nameChangeDocumentation;
      if (blocking.length || (nameDiffers && !nameChangeDocumentation)) {
        return { errors: {}, notice: { blocking: blocking.map((q) => q.ifNo), nameDiffers, doc: doc.key } };
      }
      return {
        detail: { type: doc.key, nameDiffers },
        change: (c) => {
          c.documents = c.documents.map((d) =>
            d.slot === slot ? { ...d, answers, nameChangeDocumentation: nameDiffers || undefined, confirmedAt: new Date().toISOString() } : d,
          );
        },
      };
    });
  }

  confirmSupporting(accountId: string, form: { confirm: boolean }): Promise<SubmitOutcome> {
    return this.steps.submit(accountId, 'supporting', (c) => {
      const needed = neededSupporting(c);
      if (!form.confirm) {
        return { errors: { confirm: phrase('verification.errors.supportingConfirm', { count: needed.length }) } };
      }
      return { detail: { documents: needed.map((d) => d.key) }, change: (c) => void (c.supportingConfirmed = needed.map((d) => d.key)) };
    });
  }
}
