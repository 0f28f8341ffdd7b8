import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepCosts } from '../../src/report/costs.ts';
import { markdownReport } from '../../src/report/markdown.ts';
import type { Group, Run } from '../../src/report/runs.ts';

function run(seed: number, metrics: Record<string, unknown>[]): Run {
  return { dir: `/r/${seed}`, name: 'x', algorithm: 'distil', label: 'distil', env: 'math', seed, config: {}, metrics, evals: [], samples: [], warnings: [] };
}
const step = (s: number, tokens: number, sample: number, score: number, train: number) =>
  ({ step: s, sampled_tokens: tokens, 'time/sample_s': sample, 'time/score_s': score, 'time/train_s': train });

test('stepCosts: per-phase seconds averaged over every step of every seed; tokens per step from the last row', () => {
  const g: Group = {
    label: 'distil', env: 'math',
    runs: [
      run(0, [step(1, 100, 1, 2, 3), step(2, 200, 3, 4, 5)]),
      // Seed 1 took 4 steps and 600 tokens; a row without timings (an eval line) is ignored.
      run(1, [step(1, 150, 1, 1, 1), { step: 2, loss: 0.5 }, step(3, 450, 1, 1, 1), step(4, 600, 1, 1, 1)]),
    ],
  };
  const [c] = stepCosts([g]).get('math')!;
  assert.equal(c.seeds, 2);
  assert.equal(c.steps, 3); // (2 + 4) / 2
  assert.equal(c.tokensPerStep, 400 / 3); // mean last tokens (200 + 600) / 2 over mean steps 3
  assert.equal(c.sampleS, (1 + 3 + 1 + 1 + 1) / 5);
  assert.equal(c.scoreS, (2 + 4 + 1 + 1 + 1) / 5);
  assert.equal(c.trainS, (3 + 5 + 1 + 1 + 1) / 5);
});

test('the markdown report prints the cost table under its env', () => {
  const md = markdownReport({
    title: 'T', generated: new Date(0), runCount: 1, results: new Map([['math', []]]), efficiency: new Map(), reference: 'grpo', overall: [], byEnv: new Map(),
    costs: new Map([['math', [{ label: 'grpo', seeds: 3, steps: 35, tokensPerStep: 1400.4, sampleS: 0.5, scoreS: 0, trainS: 0.25 }]]]),
  });
  assert.match(md, /## math[\s\S]*### Cost of a step/);
  assert.ok(md.includes('| grpo | 35.0 | 1400 | 0.50 | 0.00 | 0.25 | 0.75 |'), md);
});
