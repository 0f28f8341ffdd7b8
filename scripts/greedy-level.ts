/**
 * Greedy accuracy of a tiny model folder at one level of an env's test split, decoded as the
 * gate decodes (T=0, the tiny stop strings, the gate's token budget), without the rest of the
 * gate. `distil eval` applies no stop strings, so a tiny model's answer runs on into the next
 * prompt there and scores 0.
 *   npx tsx scripts/greedy-level.ts <model dir> <env> <level> [n=200] [env options as JSON]
 * e.g. npx tsx scripts/greedy-level.ts src/recipes/checkpoints/tiny-code-hidden code 1 200
 */
import { LocalBackend } from '../src/backends/local.ts';
import { getEnv } from '../src/envs/registry.ts';
import { loadModelFolder } from '../src/models/folder.ts';
import { transformerFromWeights } from '../src/models/transformer-io.ts';
import { attemptBudget, tinyStopStrings, tinyTokenizer } from '../src/recipes/tiny.ts';

const [dir, envName, levelArg, nArg = '200', optionsArg = '{}'] = process.argv.slice(2);
if (!dir || !envName || !levelArg) throw new Error('usage: npx tsx scripts/greedy-level.ts <model dir> <env> <level> [n] [env options JSON]');
const folder = loadModelFolder(dir);
const model = transformerFromWeights(folder.config, folder.weights, dir);
const tok = tinyTokenizer();
const backend = new LocalBackend(model, { tokenizer: tok });
const env = await getEnv(envName, JSON.parse(optionsArg));
try {
  const tasks = env.tasks('test', Number(nArg), 0, { levels: [Number(levelArg)] });
  const out = await backend.sample(tasks.map((t, i) => ({ prompt: tok.encode(t.prompt), maxTokens: attemptBudget(tok, t), temperature: 0, seed: i, stop: tinyStopStrings(t.prompt) })));
  let correct = 0;
  for (let i = 0; i < tasks.length; i++) if ((await env.evaluate(tasks[i], out[i].text)).correct) correct++;
  console.log(`${dir}: ${envName} level ${levelArg}, ${tasks.length} test prompts: greedy ${correct}/${tasks.length} = ${((100 * correct) / tasks.length).toFixed(1)}%`);
} finally {
  await env.close?.();
}
