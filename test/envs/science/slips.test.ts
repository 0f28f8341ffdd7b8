import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScienceEnv, slipScience } from '../../../src/envs/science/index.ts';
import { Rng } from '../../../src/util/rng.ts';

test('slipped science attempts are wrong in the way feedback can name', async () => {
  const env = createScienceEnv();
  const rng = new Rng(3);
  for (const t of env.tasks('train', 40, 4, { levels: [1, 2, 3, 4] })) {
    const attempt = slipScience(t, rng);
    const o = await env.evaluate(t, attempt);
    assert.equal(o.correct, false, `${t.prompt}${attempt}`);
    const kinds = t.meta.kind === 'chem' ? ['element_imbalance', 'charge_imbalance'] : ['wrong_step', 'wrong_factor'];
    assert.ok(kinds.includes(o.feedback.items[0].kind), `${t.prompt}${attempt} -> ${o.feedback.items[0].kind}`);
  }
  const [t] = env.tasks('train', 1, 0);
  assert.equal(slipScience(t, new Rng(9)), slipScience(t, new Rng(9)));
});
