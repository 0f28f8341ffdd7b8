/**
 * Ships a pretraining checkpoint as a built-in model folder with its recipe.json, taking the
 * gate numbers from a named gate file of the run (e.g. the 200-prompt gate-200.json):
 *   node --import tsx scripts/ship-checkpoint.mts RUN STEP DEST GATE_FILE NOTE COMMAND...
 * Stop strings are not part of a pretraining checkpoint: copy generation_config.json's
 * stop_strings from the model it continued (the envs' tiny stop strings).
 */
import { shipCheckpoint } from '../src/recipes/ship.ts';
import { readFileSync, writeFileSync } from 'node:fs';
const [run, step, dest, gateFile, note, ...commands] = process.argv.slice(2);
shipCheckpoint({ run, step: Number(step), dest, commands, note });
const g = JSON.parse(readFileSync(`${run}/${gateFile}`, 'utf8'));
const r = g.checkpoints.find((c: { step: number }) => c.step === Number(step));
const recipe = JSON.parse(readFileSync(`${dest}/recipe.json`, 'utf8'));
recipe.trainingGate = recipe.gate;
recipe.gate = { rl: r.rl, levels: r.levels, table: r.table.split('\n') };
recipe.choice = g.choice;
recipe.gates = g.checkpoints.map((c: { step: number; rl: unknown; table: string }) => ({ step: c.step, rl: c.rl, table: c.table.split('\n') }));
writeFileSync(`${dest}/recipe.json`, JSON.stringify(recipe, null, 2) + '\n');
