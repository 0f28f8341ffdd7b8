/**
 * The README's quick tour, runnable:
 *   node --import tsx examples/tour.ts [MODEL_DIR]      (default: the shipped tiny checkpoint)
 * An env and its feedback, a policy sampling from a model folder, and a short DistIL run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getEnv, loadTransformer, LocalBackend, train, resolveTrainConfig } from '../src/index.ts';
import { builtinCheckpoint } from '../src/recipes/checkpoints.ts';

export async function tour(modelDir: string, steps = 5): Promise<{ feedback: string; sample: string; finalAccuracy: number }> {
  // An environment makes tasks and says precisely what went wrong.
  const env = await getEnv('math');
  const [task] = env.tasks('train', 1, 0, { levels: [4] });
  const wrong = task.reference!.replace(/=(\d)/, (_, d) => `=${(Number(d) + 1) % 10}`); // one slip in the first step
  const outcome = await env.evaluate(task, wrong);
  console.log(task.prompt.trim(), '->', outcome.feedback.items[0]?.text);

  // A policy: any Llama/Qwen2/Qwen3 folder, or a built-in tiny checkpoint.
  const { model, folder: f } = loadTransformer(modelDir);
  const policy = new LocalBackend(model, { tokenizer: f.tokenizer! });
  const [c] = await policy.sample([{ prompt: f.tokenizer!.encode(task.prompt), maxTokens: 48, seed: 1 }]);
  console.log('sampled:', JSON.stringify(c.text));

  // Train: one validated config, one run folder.
  const run = join(mkdtempSync(join(tmpdir(), 'distil-tour-')), 'run');
  const res = await train(
    resolveTrainConfig({ model: modelDir, env: 'math', levels: [4], algorithm: 'distil', steps, promptsPerStep: 4, groupSize: 4, evalPrompts: 16, evalSamples: 1, maxTokens: 48 }),
    run,
    { log: () => {} },
  );
  console.log(`run folder: ${run}; test accuracy after ${res.steps} steps: ${((res.finalEval?.accuracy as number) * 100).toFixed(1)}%`);
  return { feedback: outcome.feedback.items[0]?.text ?? '', sample: c.text, finalAccuracy: res.finalEval?.accuracy as number };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await tour(process.argv[2] ?? builtinCheckpoint('tiny-multi'));
}
