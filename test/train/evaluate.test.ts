import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalBackend } from '../../src/backends/local.ts';
import type { Env, Task } from '../../src/envs/types.ts';
import { loadTransformer } from '../../src/models/transformer-io.ts';
import { evaluatePolicy } from '../../src/train/evaluate.ts';
import { tinyModelFolder } from './helpers.ts';

/**
 * Correct when the completion's first character code plus the prompt's index is even: any model,
 * even one that always writes the same character, is right on about half of the prompts.
 */
function parityEnv(): Env {
  const task = (i: number): Task => ({ id: `parity/test/${i}`, env: 'parity', prompt: `Q${i}:`, level: 1 + (Math.floor(i / 2) % 2), meta: { i } });
  return {
    name: 'parity', description: 'first character code plus the index is even', levels: [1, 2],
    tasks: (_split, n) => Array.from({ length: n }, (_, i) => task(i)),
    async evaluate(t, completion) {
      const correct = completion.length > 0 && (completion.charCodeAt(0) + (t.meta.i as number)) % 2 === 0;
      return { reward: correct ? 1 : 0, correct, feedback: { summary: correct ? 'correct' : 'wrong', items: [] } };
    },
  };
}

const { model, folder } = loadTransformer(tinyModelFolder(3));
const tokenizer = folder.tokenizer!;
const policy = new LocalBackend(model, { tokenizer });
const env = parityEnv();

test('greedy accuracy is the accuracy of one temperature-0 decoding per prompt, beside avg@k at T=1', async () => {
  const s = await evaluatePolicy(policy, env, tokenizer, { prompts: 40, samples: 4, temperature: 1, maxTokens: 3 });
  const t0 = await evaluatePolicy(policy, env, tokenizer, { prompts: 40, samples: 1, temperature: 0, maxTokens: 3, greedy: false });
  assert.equal(t0.greedy, undefined);
  assert.ok(s.greedy !== undefined);
  assert.equal(s.greedy, t0.accuracy);
  // Per level the same, and the 1-sample T=0 run's greedy share equals its own accuracy.
  for (const l of ['1', '2']) assert.equal(s.byLevel[l].greedy, t0.byLevel[l].accuracy);
  const t0g = await evaluatePolicy(policy, env, tokenizer, { prompts: 40, samples: 2, temperature: 0, maxTokens: 3 });
  assert.equal(t0g.greedy, t0.accuracy);
  // The tiny random model is not degenerate on this env, so the comparison above means something.
  assert.ok(s.accuracy > 0.05 && s.accuracy < 0.95, `avg@4 ${s.accuracy}`);
  assert.ok(t0.accuracy > 0 && t0.accuracy < 1, `greedy ${t0.accuracy}`);
});

test('the greedy decoding is one request per prompt at temperature 0', async () => {
  const seen: { temperature?: number }[] = [];
  const counting = {
    sample: async (reqs: { temperature?: number }[]) => {
      seen.push(...reqs);
      return policy.sample(reqs as Parameters<typeof policy.sample>[0]);
    },
  } as unknown as LocalBackend;
  await evaluatePolicy(counting, env, tokenizer, { prompts: 5, samples: 3, temperature: 1, maxTokens: 2 });
  assert.equal(seen.filter((r) => r.temperature === 0).length, 5);
  assert.equal(seen.filter((r) => r.temperature === 1).length, 15);
});
