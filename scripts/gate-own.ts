/**
 * The teacher gate of a shipped checkpoint folder, on-policy columns included (docs/gate-own.md):
 *   npx tsx scripts/gate-own.ts <checkpoint dir> <env> <levels> [n=200] [out.json]
 * e.g. npx tsx scripts/gate-own.ts src/recipes/checkpoints/tiny-math-2to6 math 5,6 200
 * Levels are also the RL levels; the rest of the gate config (kinds, seed, batch) is the
 * checkpoint's recipe.json gate. Prints the gate table and, per level and kind, ownKeep and the
 * counts behind the own columns.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '../src/models/folder.ts';
import { checkTrainedLevels } from '../src/models/trained-levels.ts';
import { transformerFromWeights } from '../src/models/transformer-io.ts';
import { Corpus, DEFAULT_CORPUS } from '../src/recipes/corpus.ts';
import { runGate } from '../src/recipes/gate.ts';
import { DEFAULT_GATE, type GateConfig } from '../src/recipes/pretrain-config.ts';
import { tinyTokenizer } from '../src/recipes/tiny.ts';

const [dir, env, levelsArg, nArg = '200', outFile] = process.argv.slice(2);
if (!dir || !env || !levelsArg) throw new Error('usage: npx tsx scripts/gate-own.ts <checkpoint dir> <env> <levels> [n] [out.json]');
const levels = levelsArg.split(',').map(Number);
// A gate at levels the checkpoint never trained on measures nothing: refuse it before sampling.
const check = checkTrainedLevels(dir, env, levels, 'gate-own');
if (check.error) throw new Error(check.error);
if (check.warning) console.error(`warning: ${check.warning}`);
const recipe = JSON.parse(readFileSync(join(dir, 'recipe.json'), 'utf8')) as { step?: number; config?: { gate?: Partial<GateConfig> } };
const cfg: GateConfig = { ...DEFAULT_GATE, ...recipe.config?.gate, env, levels, rlLevels: levels, n: Number(nArg) };
const folder = loadModelFolder(dir);
const model = transformerFromWeights(folder.config, folder.weights, dir);
const corpus = await Corpus.open({ ...DEFAULT_CORPUS, envs: [{ name: env, levels }] });
const t0 = Date.now();
try {
  const r = await runGate(model, tinyTokenizer(), cfg, corpus, recipe.step ?? 0);
  console.log(r.table);
  for (const l of r.levels) {
    for (const [k, x] of Object.entries(l.kinds)) {
      const pc = (v?: number) => (v === undefined ? '–' : (100 * v).toFixed(0));
      console.log(`level ${l.level} ${k}: own ${pc(x.own)} = ownfix ${pc(x.ownFix)} on ${x.ownWrong} own wrong + ownkeep ${pc(x.ownKeep)} on ${l.n - (x.ownWrong ?? 0)} own right; ownAdv ${x.ownAdv! >= 0 ? '+' : ''}${pc(x.ownAdv)}; synthetic fix ${pc(x.fix)} on ${x.nWrong}`);
    }
  }
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (outFile) writeFileSync(outFile, JSON.stringify(r, null, 2) + '\n');
} finally {
  await corpus.close();
}
