/**
 * Synthetic run folders for report tests: 3 algorithms x 2 seeds x 2 envs, with made-up but
 * consistent metrics from a seeded generator. Returns the final accuracies it wrote, so
 * tests can check the report's numbers against them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';

export const ALGOS = ['distil', 'grpo', 'sdpo'];
export const ENVS = ['math', 'code'];
export const SEEDS = [1, 2];
const GAIN: Record<string, number> = { distil: 0.3, grpo: 0.15, sdpo: 0.05 };

export interface Synthetic {
  dirs: string[];
  /** final[env][algo] = accuracies (fractions) of the last evaluation, one per seed. */
  final: Record<string, Record<string, number[]>>;
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export function makeRuns(root: string, seed = 7): Synthetic {
  const rng = new Rng(seed);
  const dirs: string[] = [];
  const final: Synthetic['final'] = {};
  for (const env of ENVS) {
    final[env] = {};
    for (const algo of ALGOS) {
      final[env][algo] = [];
      for (const s of SEEDS) {
        const dir = join(root, `${env}-${algo}-s${s}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: `${algo}-s${s}`, algorithm: algo, env, seed: s, lr: 3e-5, out_dir: dir, extra: { ignored: true } }));
        const metrics: object[] = [];
        const evals: object[] = [];
        const samples: object[] = [];
        let tokens = 0, wall = 0;
        for (let step = 0; step <= 20; step++) {
          // Tokens and time per step differ per seed, so those curves need interpolation.
          tokens += 4000 + rng.int(1000);
          wall += 1.5 + rng.next();
          const acc = Math.min(1, 0.3 + GAIN[algo] * (1 - Math.exp(-step / 8)) + 0.02 * rng.normal());
          metrics.push({
            step, sampled_tokens: tokens, wall_s: wall, reward: acc, accuracy: acc, loss: 1 / (step + 1),
            grad_norm: 0.5, kl_init: 0.001 * step, teacher_mass: 0.8, student_mass: 0.5 + 0.01 * step,
            'time/sample_s': 1.2, unknown_key: 'kept',
          });
          if (step % 5 === 0) {
            const k = Math.round(acc * 200);
            evals.push({
              step, sampled_tokens: tokens, wall_s: wall, env, n: 200, accuracy: k / 200, pass_at_k: { '1': k / 200 },
              by_level: { '3': { n: 100, accuracy: 0.9 }, '10': { n: 100, accuracy: 0.1 } },
            });
            if (step === 20) final[env][algo].push(k / 200);
          }
        }
        const toks = ['1', '+', '2', '=', '<script>alert(1)</script>', '\n', 'A: 4'];
        samples.push({
          step: 20, env, task_id: `${env}/test/1`, prompt: 'Q: 1+2 & more', completion: toks.join(''), reward: 0, correct: false,
          feedback: { summary: 'wrong answer', items: [{ kind: 'wrong_step', text: 'line 1: expected 3', where: { step: 0 }, expected: '3', actual: '4' }] },
          teacher_context: 'Q: 1+2\nFeedback: line 1 is <b>wrong</b>', tokens: toks, disagreement: toks.map((_, i) => i * 0.1),
        });
        samples.push({ step: 20, env, task_id: `${env}/test/2`, prompt: 'Q: 2+2', completion: 'A: 4', reward: 1, correct: true, feedback: { summary: 'correct', items: [] } });
        writeFileSync(join(dir, 'metrics.jsonl'), jsonl(metrics));
        writeFileSync(join(dir, 'eval.jsonl'), jsonl(evals));
        writeFileSync(join(dir, 'samples.jsonl'), jsonl(samples));
        dirs.push(dir);
      }
    }
  }
  // A pretraining run with only the teacher gate.
  const pre = join(root, 'pretrain');
  mkdirSync(pre, { recursive: true });
  writeFileSync(join(pre, 'gate.json'), JSON.stringify({
    'step-400': [
      { level: 5, reproduce: 0.97, keep: 0.93, fix: 0.4, student: 0.3, pass: true },
      { level: 6, reproduce: 0.9, keep: 0.85, fix: 0.2, student: 0.25, pass: false },
    ],
  }));
  dirs.push(pre);
  // A pretraining run as `distil pretrain` writes it: config with a corpus, loss, gate per checkpoint.
  const pt = join(root, 'pretrain-tiny');
  mkdirSync(pt, { recursive: true });
  writeFileSync(join(pt, 'config.json'), JSON.stringify({ name: 'tiny-math', seed: 0, corpus: { envs: [{ name: 'math' }] } }));
  writeFileSync(join(pt, 'metrics.jsonl'), jsonl([{ step: 1, loss: 4.7 }, { step: 2, loss: 4.0 }, { step: 3, loss: 3.1 }]));
  const level = (lv: number, ok: boolean) => ({
    level: lv, n: 50, studentSampled: 0.4, studentGreedy: 0.5, referenceExact: ok ? 0.98 : 0.5,
    kinds: { feedback: { keep: ok ? 0.95 : 0.6, fix: 0.7, studentSame: 0.3, advantage: 0.4, nWrong: 20 } },
    pass: { reference: ok, keep: ok, fix: true },
  });
  writeFileSync(join(pt, 'gate.json'), JSON.stringify({
    checkpoints: [
      { step: 2, env: 'math', levels: [level(4, false)], rl: { student: 0.2, advantage: 0.1, bestKind: 'feedback', fix: 0.3 }, table: 'gate <text>' },
      { step: 4, env: 'math', levels: [level(4, true), level(10, false)], rl: { student: 0.4, advantage: 0.3, bestKind: 'feedback', fix: 0.7 }, table: 'x' },
    ],
    choice: { step: 4, passed: true, reason: 'student 40% <in range>' },
  }));
  dirs.push(pt);
  return { dirs, final };
}
