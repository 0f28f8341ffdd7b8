/**
 * The DDPO demo: DDPO_IS and DDPO_SF on two rewards, 3 seeds each, from the shipped digits
 * checkpoint, every run logging all rewards (reward against reward). DDPO_IS takes 4
 * importance-corrected steps per sample batch (trainBatch 16 of 64); DDPO_SF, plain REINFORCE,
 * is only unbiased on-policy, so it takes one step per batch (trainBatch 64), as in the paper.
 * Usage:
 *   nice -n 15 node --import tsx scripts/ddpo-demo.ts --out runs/ddpo-demo [--rewards compressibility4,brightness] [--variants is,sf] [--epochs 60]
 * then: node bin/distil.mjs diffusion report --out docs/results/ddpo runs/ddpo-demo/*
 * Runs already in --out resume (or are skipped when finished).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DDPO_DEFAULTS } from '../src/diffusion/ddpo-config.ts';
import { runDdpo } from '../src/diffusion/ddpo.ts';
import { SHIPPED_DIGITS_CHECKPOINT } from '../src/diffusion/shipped.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'runs/ddpo-demo' }, rewards: { type: 'string', default: 'compressibility4,brightness' }, variants: { type: 'string', default: 'is,sf' }, epochs: { type: 'string', default: '60' }, seeds: { type: 'string', default: '1,2,3' } } });
const queries = ['compressibility', 'compressibility4', 'brightness', 'alignment'];
for (const reward of values.rewards!.split(','))
  for (const variant of values.variants!.split(',') as ('is' | 'sf')[])
    for (const seed of values.seeds!.split(',').map(Number)) {
      const out = join(values.out!, `${reward}-${variant}-seed${seed}`);
      console.log(`== ${out}`);
      await runDdpo({ out, config: { ...DDPO_DEFAULTS, checkpoint: SHIPPED_DIGITS_CHECKPOINT, reward, queries, variant, seed, epochs: Number(values.epochs), trainBatch: variant === 'sf' ? DDPO_DEFAULTS.samplesPerEpoch : DDPO_DEFAULTS.trainBatch }, log: (l) => console.log(l) });
    }
