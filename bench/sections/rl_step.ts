/**
 * The RL step as a user pays for it: one DistIL step and one GRPO step of the start config
 * (src/recipes/configs/start.json's shared settings, math env) through the real training loop,
 * split by phase (sampling, teacher scoring, forward/backward, optimiser), on random weights of
 * the reference model (full fine-tuning) and of SmolLM-135M's shape (LoRA rank 8). The phases
 * come from the loop's own per-step metrics (time/*), so this measures exactly what a run logs.
 * A warm-up step runs first; the next step is the one reported. On random weights every math
 * reward is 0, so GRPO has no advantage and skips its update there; the shipped tiny math
 * checkpoint (the start config's own model) comes first, where rewards vary and both train.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchContext, BenchSection } from '../section.ts';
import { CharTokenizer } from '../../src/models/char-tokenizer.ts';
import { saveModelFolder } from '../../src/models/folder.ts';
import { weightsOfTransformer } from '../../src/models/transformer-io.ts';
import type { ModelConfig } from '../../src/nn/config.ts';
import { REFERENCE_MODEL, SMOLLM_135M_SHAPE } from '../../src/nn/presets.ts';
import { Transformer } from '../../src/nn/transformer.ts';
import { START_CONFIG } from '../../src/cli/commands/start.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import { Rng } from '../../src/util/rng.ts';

const CHARS = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const PHASES = ['time/sample_s', 'time/score_s', 'time/forward_backward_s', 'time/optim_s'] as const;

function modelFolder(root: string, name: string, config: ModelConfig): string {
  const dir = join(root, name);
  const model = new Transformer({ ...config, maxPositions: Math.max(config.maxPositions, 1024) }, new Rng(1));
  saveModelFolder(dir, { config: model.config, weights: weightsOfTransformer(model), tokenizer: new CharTokenizer(CHARS) });
  return dir;
}

async function oneStep(ctx: BenchContext, root: string, model: string, label: string, algorithm: string, loraRank: number) {
  const start = JSON.parse(readFileSync(START_CONFIG, 'utf8')) as { base?: Record<string, unknown> };
  const cfg = resolveTrainConfig({
    ...start.base, env: 'math', model, algorithm, seed: 0, loraRank,
    steps: 2, sampledTokenBudget: 0, evalEvery: 0, evalPrompts: 1, evalSamples: 1, checkpointEvery: 0,
  }, `rl_step ${label} ${algorithm}`);
  const rows: Record<string, number>[] = [];
  await train(cfg, join(root, `run-${label}-${algorithm}`), { onStep: (r) => rows.push(r), log: () => {} });
  const r = rows[rows.length - 1];
  const phases = Object.fromEntries(PHASES.map((k) => [k.slice(5, -2), r[k] ?? 0]));
  const total = PHASES.reduce((a, k) => a + (r[k] ?? 0), 0);
  ctx.record({
    section: 'rl_step', model: label, algorithm, lora_rank: loraRank,
    ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [`${k}_s`, +v.toFixed(3)])),
    total_s: +total.toFixed(3), sampled_tokens: rows.length > 1 ? r.sampled_tokens - rows[rows.length - 2].sampled_tokens : r.sampled_tokens,
  });
  return total;
}

const section: BenchSection = {
  name: 'rl_step',
  order: 40,
  async run(ctx) {
    const root = mkdtempSync(join(tmpdir(), 'distil-rl-step-'));
    const out: Record<string, number | null> = {};
    try {
      const start = JSON.parse(readFileSync(START_CONFIG, 'utf8')) as { model: Record<string, string> };
      const shipped = join(dirname(START_CONFIG), '..', '..', '..', start.model.math);
      const shapes: [string, ModelConfig | string, number][] = [
        ['tiny-math', shipped, 0], ['reference', REFERENCE_MODEL, 0], ['smollm-135m-shape', SMOLLM_135M_SHAPE, 8],
      ];
      for (const [label, config, rank] of ctx.quick ? shapes.slice(0, 2) : shapes) {
        ctx.note(`rl_step: ${label} (${rank ? `LoRA rank ${rank}` : 'full fine-tuning'}), start config on math, one warm-up step then one measured`);
        const dir = typeof config === 'string' ? config : modelFolder(root, label, config);
        for (const algorithm of ['distil', 'grpo']) {
          out[`rl_step_${label.split('-')[0]}_${algorithm}_s`] = await oneStep(ctx, root, dir, label, algorithm, rank);
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return out;
  },
};
export default section;
