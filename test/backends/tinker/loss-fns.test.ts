import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tinkerLoss } from '../../../src/backends/tinker/loss-fns.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('cross_entropy: -sum w l, gradient -w (zero weights contribute nothing)', () => {
  const r = tinkerLoss('cross_entropy', [-1, -2, -3], { weights: [0.5, 0, -1] });
  close(r.loss, 0.5 - 3);
  assert.deepEqual([...r.grad], [-0.5, 0, 1]);
});

test('importance_sampling, ppo and cispo by hand, at and beyond the clip thresholds', () => {
  const l = [Math.log(1.5), Math.log(0.5), Math.log(1.1)], q = [0, 0, 0], A = [1, -2, 3];
  const is = tinkerLoss('importance_sampling', l, { logprobs: q, advantages: A });
  close(is.loss, -(1.5 - 1 + 3.3));
  close(is.grad[1], 1);
  const ppo = tinkerLoss('ppo', l, { logprobs: q, advantages: A });
  // r=1.5, A>0: clipped at 1.2 (min picks 1.2): constant. r=0.5, A<0: min(-1, -1.6) = -1.6 clipped at 0.8: constant. r=1.1: inside.
  close(ppo.loss, -(1.2 - 1.6 + 3.3));
  close(ppo.grad[0], 0);
  close(ppo.grad[1], 0);
  close(ppo.grad[2], -3.3);
  const wide = tinkerLoss('ppo', l, { logprobs: q, advantages: A }, { clip_low_threshold: 0.1, clip_high_threshold: 10 });
  close(wide.loss, is.loss);
  const cispo = tinkerLoss('cispo', l, { logprobs: q, advantages: A }, { clip_high_threshold: 1.2 });
  close(cispo.loss, -(1.2 * l[0] + 0.5 * -2 * l[1] + 1.1 * 3 * l[2]));
  close(cispo.grad[0], -1.2);
});

test('gradients match finite differences for every loss', () => {
  const l = [-0.3, -1.7, -0.9], inputs = { weights: [0.2, -0.4, 1], logprobs: [-0.5, -1.5, -1.2], advantages: [0.7, -1.1, 0.4] };
  for (const fn of ['cross_entropy', 'importance_sampling', 'ppo', 'cispo']) {
    const g = tinkerLoss(fn, l, inputs).grad;
    for (let i = 0; i < 3; i++) {
      const up = [...l], dn = [...l];
      up[i] += 1e-6;
      dn[i] -= 1e-6;
      // cispo's stop-gradient: its finite difference is taken with the clipped ratio frozen.
      if (fn === 'cispo') continue;
      close(g[i], (tinkerLoss(fn, up, inputs).loss - tinkerLoss(fn, dn, inputs).loss) / 2e-6, 1e-5);
    }
  }
});

test('unknown losses and missing inputs are named', () => {
  assert.throws(() => tinkerLoss('dro', [0], {}), /loss_fn 'dro' is not supported; this server supports cross_entropy/);
  assert.throws(() => tinkerLoss('ppo', [0], { logprobs: [0] }), /needs loss_fn_inputs.advantages/);
  assert.throws(() => tinkerLoss('cross_entropy', [0, 0], { weights: [1] }), /weights has 1 values, target_tokens has 2/);
});
