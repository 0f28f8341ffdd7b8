/** `distil eval`: accuracy of a model on an env's test split (greedy, avg@k, unbiased pass@k, by level). */
import { LocalBackend } from '../../backends/local.ts';
import { getEnv } from '../../envs/registry.ts';
import { loadTransformer } from '../../models/transformer-io.ts';
import type { EvalSummary } from '../../eval/metrics.ts';
import { evaluatePolicy } from '../../train/evaluate.ts';
import { describeTokenizer } from '../../models/folder.ts';
import { levelsFlag, parseArgs, num, splitFlag, str } from '../args.ts';
import { resolveStop } from '../stop-flag.ts';
import { UsageError, type Command } from '../command.ts';
import { gatedSetting } from '../../recipes/checkpoints.ts';

const HELP = `Usage: distil eval --model DIR [--env NAME] [options]

Decodes each of N prompts of the env's fixed test split once greedily (temperature 0) and
samples K completions at temperature T, and reports greedy accuracy, avg@K (mean accuracy of
the samples), unbiased pass@k for k = 1, 2, 4 ... K, and the same per difficulty level.

Options:
  --model DIR          model folder (required)
  --env NAME           env (default: the one the model's recipe.json gated it on, else math)
  --levels 10,11,12    difficulty levels (default: the RL levels of the model's recipe.json
                       gate when --env is its env, else the env's default)
  --split test|val     which fixed split (default test; val is for choosing settings such as
                       a learning rate: disjoint from test)
  --prompts N          test prompts (default 200)
  --samples K          samples per prompt (default 4)
  --temperature T      sampling temperature (default 1; 0 = greedy)
  --max-tokens N       completion length limit (default 96)
  --no-greedy          skip the greedy decoding (avg@K and pass@k only)
  --stop S             stop strings: a JSON list ('["\\nQ: "]'), one string (\\n read as a
                       newline), or none (default: the model's, generation_config.json
                       stop_strings)
  --json               print the result as JSON`;

const command: Command = {
  name: 'eval',
  summary: "Evaluate a model on an env's test split (greedy, avg@k, pass@k, by level)",
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['model', 'env', 'levels', 'split', 'prompts', 'samples', 'temperature', 'max-tokens', 'stop'], ['json', 'no-greedy']);
    const split = splitFlag(a.flags);
    const modelDir = str(a.flags, 'model');
    if (!modelDir) throw new UsageError('--model DIR is required');
    const { model, folder: f } = loadTransformer(modelDir);
    if (!f.tokenizer) throw new UsageError(`${modelDir} has no tokenizer`);
    const { stop, source } = resolveStop(str(a.flags, 'stop'), f.generation.stopStrings, modelDir);
    process.stderr.write(`${describeTokenizer(f)}\nstop strings: ${JSON.stringify(stop)} (${source})\n`);
    // A shipped checkpoint is measured where its gate measured it unless told otherwise.
    const gated = gatedSetting(modelDir);
    const envName = str(a.flags, 'env') ?? gated?.env ?? 'math';
    const asked = levelsFlag(a.flags, '10,11,12');
    const useGated = gated !== undefined && gated.env === envName && !asked;
    const env = await getEnv(envName, useGated ? gated.envOptions : undefined);
    const levels = useGated ? gated.levels : asked;
    if (useGated) process.stderr.write(`env ${envName}, levels ${levels!.join(',')} (the RL levels of ${modelDir}/recipe.json's gate; --env/--levels to change)\n`);
    const backend = new LocalBackend(model, { tokenizer: f.tokenizer });
    const s = await evaluatePolicy(backend, env, f.tokenizer, {
      prompts: num(a.flags, 'prompts') ?? 200, samples: num(a.flags, 'samples') ?? 4,
      temperature: num(a.flags, 'temperature') ?? 1, maxTokens: num(a.flags, 'max-tokens') ?? 96, levels, stop,
      greedy: !a.flags['no-greedy'], split,
    });
    if (a.flags.json) {
      console.log(JSON.stringify(s));
      return 0;
    }
    console.log(formatEval(env.name, s, num(a.flags, 'temperature') ?? 1, split));
    return 0;
  },
};

/** The table `distil eval` prints: greedy first, then avg@K and pass@k at temperature T. */
export function formatEval(envName: string, s: EvalSummary, temperature: number, split: 'test' | 'val' = 'test'): string {
  const ks = Object.keys(s.passAtK);
  const greedy = s.greedy !== undefined;
  const lines = [`${envName}: ${s.n} ${split} prompts, ${greedy ? 'greedy (T=0) and ' : ''}${s.samples} samples at T=${temperature}`];
  lines.push(['level', 'n', ...(greedy ? ['greedy'] : []), `avg@${s.samples}`, ...ks.map((k) => `pass@${k}`)].map((x) => x.padStart(9)).join(''));
  const row = (name: string, b: { n: number; accuracy: number; greedy?: number; passAtK: Record<string, number> }) =>
    lines.push([name, String(b.n), ...(greedy ? [b.greedy === undefined ? '-' : pct(b.greedy)] : []), pct(b.accuracy), ...ks.map((k) => pct(b.passAtK[k]))].map((x) => x.padStart(9)).join(''));
  for (const [lvl, b] of Object.entries(s.byLevel)) row(lvl, b);
  row('all', s);
  return lines.join('\n');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
export default command;
