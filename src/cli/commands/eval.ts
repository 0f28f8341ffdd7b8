/** `distil eval`: accuracy of a model on an env's test split (avg@k, unbiased pass@k, by level). */
import { LocalBackend } from '../../backends/local.ts';
import { getEnv } from '../../envs/registry.ts';
import { loadTransformer } from '../../models/transformer-io.ts';
import { evaluatePolicy } from '../../train/evaluate.ts';
import { parseArgs, list, num, str } from '../args.ts';
import { UsageError, type Command } from '../command.ts';

const HELP = `Usage: distil eval --model DIR --env NAME [options]

Samples K completions for each of N prompts of the env's fixed test split and reports avg@K
(mean accuracy), unbiased pass@k for k = 1, 2, 4 ... K, and the same per difficulty level.

Options:
  --model DIR          model folder (required)
  --env NAME           environment (default math; distil env list)
  --levels 10,11,12    difficulty levels (default: the env's default)
  --prompts N          test prompts (default 200)
  --samples K          samples per prompt (default 4)
  --temperature T      sampling temperature (default 1; 0 = greedy)
  --max-tokens N       completion length limit (default 96)
  --json               print the result as JSON`;

const command: Command = {
  name: 'eval',
  summary: "Evaluate a model on an env's test split (avg@k, pass@k, by level)",
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['model', 'env', 'levels', 'prompts', 'samples', 'temperature', 'max-tokens'], ['json']);
    const modelDir = str(a.flags, 'model');
    if (!modelDir) throw new UsageError('--model DIR is required');
    const { model, folder: f } = loadTransformer(modelDir);
    if (!f.tokenizer) throw new UsageError(`${modelDir} has no tokenizer`);
    const env = await getEnv(str(a.flags, 'env') ?? 'math');
    const levels = list(a.flags, 'levels')?.map(Number);
    if (levels?.some((l) => !Number.isInteger(l))) throw new UsageError('--levels must be whole numbers, e.g. 10,11,12');
    const backend = new LocalBackend(model, { tokenizer: f.tokenizer });
    const s = await evaluatePolicy(backend, env, f.tokenizer, {
      prompts: num(a.flags, 'prompts') ?? 200, samples: num(a.flags, 'samples') ?? 4,
      temperature: num(a.flags, 'temperature') ?? 1, maxTokens: num(a.flags, 'max-tokens') ?? 96, levels,
    });
    if (a.flags.json) {
      console.log(JSON.stringify(s));
      return 0;
    }
    const ks = Object.keys(s.passAtK);
    console.log(`${env.name}: ${s.n} test prompts x ${s.samples} samples`);
    console.log(['level', 'n', `avg@${s.samples}`, ...ks.map((k) => `pass@${k}`)].map((x) => x.padStart(9)).join(''));
    const row = (name: string, n: number, acc: number, pass: Record<string, number>) =>
      console.log([name, String(n), pct(acc), ...ks.map((k) => pct(pass[k]))].map((x) => x.padStart(9)).join(''));
    for (const [lvl, b] of Object.entries(s.byLevel)) row(lvl, b.n, b.accuracy, b.passAtK);
    row('all', s.n, s.accuracy, s.passAtK);
    return 0;
  },
};

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
export default command;
