/**
 * A teacher's distributions are over its own token ids, so it must share the student's
 * tokenizer exactly; otherwise distillation silently trains toward the wrong tokens.
 */
import { compareTokenizers } from '../models/compare-tokenizers.ts';
import type { Tokenizer } from '../models/tokenizer.ts';

export function checkSameTokenizer(student: Tokenizer, teacher: Tokenizer, teacherName = 'teacher'): void {
  const cmp = compareTokenizers(student, teacher);
  if (cmp.same) return;
  const shown = cmp.disagreements.slice(0, 8).map((d) => `  ${JSON.stringify(d)}`).join('\n');
  throw new Error(
    `the ${teacherName}'s tokenizer differs from the student's, so its distributions cannot be compared token by token. ` +
      `Use a teacher with the same tokenizer. Disagreements (${cmp.disagreements.length}):\n${shown}`,
  );
}
