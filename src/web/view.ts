import type { Text } from '../i18n/messages';

/**
 * What a controller returns: a page to render, a place to go, or a file. The HTTP adapter
 * (http-adapter.ts) turns these into responses, so controllers never touch `res` and the full-page/fragment choice
 * is made in one place (renderer.ts).
 */
export class View {
  constructor(
    readonly template: string,
    readonly context: Record<string, unknown> = {},
    readonly status = 200,
  ) {}
}

export class Redirect {
  constructor(readonly location: string) {}
}

/** A stored file (a document image or PDF) sent to its owner or reviewer as it is. */
export class FileResponse {
  constructor(
    readonly mime: string,
    readonly data: Buffer,
    /** Downloaded under this name (an attachment) rather than shown. */
    readonly filename?: string,
  ) {}
}

export const view = (template: string, context: Record<string, unknown> = {}, status = 200) =>
  new View(template, context, status);

export const fileResponse = (mime: string, data: Buffer, filename?: string) => new FileResponse(mime, data, filename);

/** Redirect after a POST with 303 See Other, so the browser follows with a GET. */
export const redirect = (location: string) => new Redirect(location);

/** Field name → message (a catalog key, or a key with values), shown next to the field and in the error summary. */
export type FieldErrors = Record<string, Text>;

/** A form that failed validation: its page again, status 400, errors and the user's input kept. */
export const invalidForm = (template: string, errors: FieldErrors, context: Record<string, unknown> = {}) =>
  new View(template, { ...context, errors }, 400);
