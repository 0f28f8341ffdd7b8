/**
 * Sandboxed code evaluations per second: generated level 1-3 tasks (small functions, 10
 * tests each) judged end to end by the code env's path (sandbox jobs over IPC, fresh vm
 * context per evaluation), with every worker busy. Completions mix the reference with
 * wrong answers, so failing tests and feedback are part of the cost. Target: >= 200/s on
 * 2 cores.
 */
import { availableParallelism } from 'node:os';
import type { BenchContext, BenchSection } from '../section.ts';
import { createCodeEnv } from '../../src/envs/code/index.ts';
import { Sandbox } from '../../src/envs/code/sandbox/index.ts';

async function measure(ctx: BenchContext, workers: number, n: number): Promise<number> {
  const sandbox = new Sandbox({ workers, timeoutMs: 1000 });
  const env = createCodeEnv({ sandbox });
  try {
    const tasks = env.tasks('train', n, 1, { levels: [1, 2, 3] });
    const completions = tasks.map((t, i) => (i % 3 === 2 ? t.reference!.replace(/\d/, (d) => String((Number(d) + 1) % 10)) : t.reference!));
    // Warm-up: start the workers and let V8 compile the harness.
    await Promise.all(tasks.slice(0, 20).map((t, i) => env.evaluate(t, completions[i])));
    const t0 = performance.now();
    const outcomes = await Promise.all(tasks.map((t, i) => env.evaluate(t, completions[i])));
    const seconds = (performance.now() - t0) / 1000;
    const correct = outcomes.filter((o) => o.correct).length;
    const rate = n / seconds;
    ctx.record({ what: 'sandbox evaluations', workers, evaluations: n, tests_each: 10, correct, seconds: +seconds.toFixed(3), evals_per_s: +rate.toFixed(1) });
    return rate;
  } finally {
    await sandbox.close();
  }
}

const section: BenchSection = {
  name: 'sandbox',
  order: 60,
  async run(ctx) {
    const n = ctx.quick ? 200 : 1000;
    const workers = Math.min(2, availableParallelism());
    ctx.note(`sandbox: ${n} evaluations of 10 tests on ${workers} worker process(es)`);
    if (!ctx.quick && workers > 1) await measure(ctx, 1, n / 2);
    const rate = await measure(ctx, workers, n);
    return { sandbox_evals_per_s: +rate.toFixed(1) };
  },
};
export default section;
