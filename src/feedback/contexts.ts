/**
 * Teacher contexts: what the teacher is shown before it scores the student's completion.
 * Each kind is a default template (overridable) over the same slots, plus an optional
 * fallback to another kind when its material is missing (peer without a successful peer).
 */
import type { Outcome, Task } from '../envs/types.ts';
import { renderCritique, renderFeedback, renderReward } from './render.ts';
import { TemplateError, parseTemplate, renderTemplate, type SlotName } from './template.ts';

export interface TeacherContextInput {
  task: Task;
  /** The student's completion (what the teacher will score after the context). */
  completion: string;
  outcome: Outcome;
  /** The other samples of the same prompt (may include this one). */
  group?: { completion: string; outcome: Outcome }[];
}

export interface TeacherContextKind {
  /** Default template; must end with {prompt}. */
  template: string;
  /** One line for listings. */
  summary: string;
  /** Name of another kind to use instead for this input, if any. */
  fallback?(input: TeacherContextInput): string | undefined;
}

/** A successful completion of another sample of the same prompt (not this one's text). */
export function findPeer(input: TeacherContextInput): string | undefined {
  const own = input.completion.trim();
  return input.group?.find((g) => g.outcome.correct && g.completion.trim() !== own)?.completion;
}

const kinds = new Map<string, TeacherContextKind>();

export function registerTeacherContext(name: string, kind: TeacherContextKind): void {
  if (kinds.has(name)) throw new Error(`teacher context '${name}' is already registered`);
  parseTemplate(kind.template);
  kinds.set(name, kind);
}

export function teacherContextKinds(): string[] {
  return [...kinds.keys()];
}

export function getTeacherContextKind(name: string): TeacherContextKind {
  const k = kinds.get(name);
  if (!k) throw new Error(`unknown teacher context '${name}'; known: ${teacherContextKinds().join(', ')}`);
  return k;
}

registerTeacherContext('binary', {
  summary: 'the attempt and its reward only',
  template: '{prompt}{attempt}\nReward: {reward}\n{prompt}',
});
registerTeacherContext('reference', {
  summary: 'a reference solution of the same problem',
  template: '{prompt}{reference}\n{prompt}',
});
registerTeacherContext('feedback', {
  summary: "the attempt and the env's rich feedback",
  template: '{prompt}{attempt}\nFeedback: {feedback}\n{prompt}',
});
registerTeacherContext('critique', {
  summary: "the attempt, its correct steps repeated and the first wrong one corrected",
  template: '{prompt}{attempt}\nCritique:\n{critique}\n{prompt}',
});
registerTeacherContext('peer', {
  summary: 'a successful completion from the same group, else the feedback context',
  template: '{prompt}{peer}\n{prompt}',
  fallback: (input) => (findPeer(input) === undefined ? 'feedback' : undefined),
});

function slotValue(slot: SlotName, input: TeacherContextInput): string {
  switch (slot) {
    case 'prompt':
      return input.task.prompt;
    case 'attempt':
      return input.completion.trimEnd();
    case 'feedback':
      return renderFeedback(input.outcome);
    case 'reference':
      if (input.task.reference === undefined) {
        throw new TemplateError(`task ${input.task.id} has no reference solution, so {reference} cannot be filled (use another teacher context)`);
      }
      return input.task.reference.trimEnd();
    case 'critique':
      return renderCritique(input.completion, input.outcome);
    case 'peer': {
      const peer = findPeer(input);
      if (peer === undefined) throw new TemplateError(`no successful peer completion in the group of task ${input.task.id} to fill {peer}`);
      return peer.trimEnd();
    }
    case 'reward':
      return renderReward(input.outcome);
  }
}

/**
 * The teacher's prompt for one student completion. It ends with the task's prompt, so the
 * teacher scores the completion's tokens right after it. A custom template replaces the
 * kind's default (unless the kind falls back to another kind for this input).
 */
export function buildTeacherContext(kind: string, input: TeacherContextInput, template?: string): string {
  let k = getTeacherContextKind(kind);
  let tpl = template ?? k.template;
  const seen = new Set([kind]);
  for (let next = k.fallback?.(input); next !== undefined; next = k.fallback?.(input)) {
    if (seen.has(next)) throw new Error(`teacher context fallback loop: ${[...seen, next].join(' -> ')}`);
    seen.add(next);
    k = getTeacherContextKind(next);
    tpl = k.template;
  }
  const out = renderTemplate(tpl, (slot) => slotValue(slot, input));
  if (!out.endsWith(input.task.prompt)) throw new Error('internal: teacher context does not end with the prompt');
  return out;
}
