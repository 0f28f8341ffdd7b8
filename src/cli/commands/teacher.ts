/** `distil teacher`: the teacher's greedy accuracy and fix rate on a student's own samples after feedback. */
import { LocalBackend } from '../../backends/local.ts';
import { getEnv } from '../../envs/registry.ts';
import { probeTeacher, type TeacherProbeResult } from '../../train/teacher-probe.ts';
import { loadTransformer } from '../../models/transformer-io.ts';
import { tinyStopStrings } from '../../recipes/tiny.ts';
import { levelsFlag, parseArgs, list, num, splitFlag, str } from '../args.ts';
import { UsageError, type Command } from '../command.ts';

const HELP = `Usage: distil teacher --student DIR --teacher DIR --env NAME [options]

On N prompts of the env's test split the student samples once at T=1 and decodes once
greedily; the teacher is shown each T=1 sample with its env feedback (one teacher context per
--contexts entry) and decodes greedily. Prints the student's greedy and sampled accuracy, and
per context the teacher's accuracy, its fix rate (on the prompts whose sample was wrong) and
keep rate (on the right ones). Use it at the end of a run (student = the run's last
checkpoint, teacher = the start model) to see whether the feedback still teaches anything.

Options:
  --student DIR        student model folder (e.g. RUN/checkpoints/step-45/model)
  --teacher DIR        teacher model folder (default: the student)
  --env NAME           environment (default math)
  --levels 22,23       difficulty levels (default: the env's default)
  --contexts a,b       teacher contexts (default feedback,critique; distil algorithms lists them)
  --split test|val     which fixed split (default test)
  --prompts N          prompts (default 200)
  --max-tokens N       completion length limit (default 96)
  --seed N             seed of the prompts and samples (default 0)
  --json               print the result as JSON`;

const command: Command = {
  name: 'teacher',
  summary: "Teacher's accuracy and fix rate on a student's own samples after feedback",
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['student', 'teacher', 'env', 'levels', 'contexts', 'split', 'prompts', 'max-tokens', 'seed'], ['json']);
    const studentDir = str(a.flags, 'student');
    if (!studentDir) throw new UsageError('--student DIR is required (a model folder)');
    const teacherDir = str(a.flags, 'teacher') ?? studentDir;
    const split = splitFlag(a.flags);
    const levels = levelsFlag(a.flags, '22,23');
    const student = loadTransformer(studentDir);
    const teacher = teacherDir === studentDir ? student : loadTransformer(teacherDir);
    const tok = student.folder.tokenizer;
    if (!tok) throw new UsageError(`${studentDir} has no tokenizer`);
    if (teacher.folder.tokenizer && teacher.folder.tokenizer.vocabSize !== tok.vocabSize) {
      throw new UsageError(`--teacher ${teacherDir} has a tokenizer of ${teacher.folder.tokenizer.vocabSize} tokens, the student's has ${tok.vocabSize}: the two must share a tokenizer`);
    }
    const env = await getEnv(str(a.flags, 'env') ?? 'math');
    try {
      const studentBackend = new LocalBackend(student.model, { tokenizer: tok });
      const teacherBackend = teacher === student ? studentBackend : new LocalBackend(teacher.model, { tokenizer: tok });
      const r = await probeTeacher(studentBackend, teacherBackend, tok, env, {
        prompts: num(a.flags, 'prompts') ?? 200, contexts: list(a.flags, 'contexts') ?? ['feedback', 'critique'], levels, split,
        seed: num(a.flags, 'seed') ?? 0, maxTokens: num(a.flags, 'max-tokens') ?? 96, stop: (t) => tinyStopStrings(t.prompt),
      });
      console.log(a.flags.json ? JSON.stringify(r) : formatProbe(env.name, r));
    } finally {
      await env.close?.();
    }
    return 0;
  },
};

export function formatProbe(envName: string, r: TeacherProbeResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `${envName}: ${r.n} prompts; student greedy ${pct(r.studentGreedy)}, sampled (T=1) ${pct(r.studentSampled)} (${r.nWrong} wrong samples)`,
    ['context', 'teacher greedy', 'fix rate', 'keep rate'].map((x) => x.padStart(15)).join(''),
  ];
  for (const [k, c] of Object.entries(r.contexts)) lines.push([k, pct(c.teacherGreedy), pct(c.fixRate), pct(c.keepRate)].map((x) => x.padStart(15)).join(''));
  return lines.join('\n');
}
export default command;
