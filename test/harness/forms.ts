import type request from 'supertest';

type Agent = ReturnType<typeof request.agent>;

/** The anti-CSRF token of the form on a page, as a browser would submit it. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}

/** Opens `page`, then submits its form to `action` with `fields` (like a person filling it in). */
export async function submitForm(agent: Agent, page: string, action: string, fields: Record<string, string>) {
  const opened = await agent.get(page);
  return agent.post(action).type('form').send({ _csrf: csrfOf(opened.text), ...fields });
}

/** The visible text of the element with this id (tags stripped), or undefined. */
export function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
