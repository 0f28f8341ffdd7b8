/**
 * Plain-text templates with named slots: `{prompt}`, `{attempt}`, ... Literal braces are
 * written `{{` and `}}`. A teacher context must end exactly where the student's completion
 * starts, so every template ends with the `{prompt}` slot (the original prompt re-stated).
 */
export const SLOTS = ['prompt', 'attempt', 'feedback', 'reference', 'critique', 'peer', 'reward'] as const;
export type SlotName = (typeof SLOTS)[number];

export class TemplateError extends Error {}

type Part = { text: string } | { slot: SlotName };

/** Splits a template into text and slots, rejecting unknown slots and a wrong ending. */
export function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      const name = end < 0 ? '' : template.slice(i + 1, end);
      if (end < 0) throw new TemplateError(`unclosed '{' at position ${i} in template ${JSON.stringify(template)} (write '{{' for a literal brace)`);
      if (!(SLOTS as readonly string[]).includes(name)) {
        throw new TemplateError(`unknown slot {${name}} in template ${JSON.stringify(template)}; known slots: ${SLOTS.map((s) => `{${s}}`).join(', ')}`);
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({ slot: name as SlotName });
      i = end;
    } else if (c === '}') {
      throw new TemplateError(`stray '}' at position ${i} in template ${JSON.stringify(template)} (write '}}' for a literal brace)`);
    } else text += c;
  }
  if (text) parts.push({ text });
  const last = parts[parts.length - 1];
  if (!last || !('slot' in last) || last.slot !== 'prompt') {
    throw new TemplateError(`template must end with {prompt} (the teacher continues right where the student's completion starts): ${JSON.stringify(template)}`);
  }
  return parts;
}

/** Names of the slots a template uses. */
export function slotsOf(template: string): Set<SlotName> {
  return new Set(parseTemplate(template).flatMap((p) => ('slot' in p ? [p.slot] : [])));
}

/** Fills the slots; `value` is only called for slots the template uses. */
export function renderTemplate(template: string, value: (slot: SlotName) => string): string {
  const cache = new Map<SlotName, string>();
  return parseTemplate(template)
    .map((p) => {
      if ('text' in p) return p.text;
      if (!cache.has(p.slot)) cache.set(p.slot, value(p.slot));
      return cache.get(p.slot)!;
    })
    .join('');
}
