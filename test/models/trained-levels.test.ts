import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTrainedLevels, trainedLevels } from '../../src/models/trained-levels.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shipped = (name: string) => join(root, 'src', 'recipes', 'checkpoints', name);

test('shipped checkpoints record their corpus levels in recipe.json', () => {
  assert.deepEqual(trainedLevels(shipped('tiny-math-2to6'))!.byEnv.get('math'), [2, 3, 4, 5, 6]);
  const multi = trainedLevels(shipped('tiny-multi'))!;
  assert.deepEqual(multi.byEnv.get('code'), [1]);
  assert.deepEqual(multi.byEnv.get('science'), [1]);
});

test('levels outside the trained ones, or an env never trained, are errors naming both; no record is a warning', () => {
  const math = shipped('tiny-math-2to6');
  assert.deepEqual(checkTrainedLevels(math, 'math', [5, 6], 'x'), {});
  assert.match(checkTrainedLevels(math, 'math', [6, 7], 'x').error!, /level\(s\) 7 of math are outside the levels .* was trained on \(2, 3, 4, 5, 6, per .*recipe\.json\)/);
  assert.match(checkTrainedLevels(math, 'code', [1], 'x').error!, /was not trained on env 'code'/);
  const bare = mkdtempSync(join(tmpdir(), 'distil-norecord-'));
  const r = checkTrainedLevels(bare, 'math', [7], 'compare config');
  assert.equal(r.error, undefined);
  assert.match(r.warning!, /carries no record of its trained levels/);
});

test("a checkpoint inside a pretraining run folder uses the run's config, plus its init's levels", () => {
  const base = mkdtempSync(join(tmpdir(), 'distil-levels-'));
  const init = join(base, 'init');
  mkdirSync(init);
  writeFileSync(join(init, 'recipe.json'), JSON.stringify({ config: { corpus: { envs: [{ name: 'math', levels: [2, 3] }] } } }));
  const step = join(base, 'run', 'checkpoints', 'step-50');
  mkdirSync(step, { recursive: true });
  writeFileSync(join(base, 'run', 'config.json'), JSON.stringify({ init, corpus: { envs: [{ name: 'math', levels: [20, 21] }, { name: 'code', levels: [1] }] } }));
  const t = trainedLevels(step)!;
  assert.equal(t.source, join(base, 'run', 'config.json'));
  assert.deepEqual(t.byEnv.get('math'), [2, 3, 20, 21]);
  assert.deepEqual(t.byEnv.get('code'), [1]);
});
