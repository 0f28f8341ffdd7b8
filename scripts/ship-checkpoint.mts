/**
 * Ships a pretraining checkpoint as a built-in model folder with its recipe.json, taking the
 * gate numbers from a named gate file of the run (e.g. the 200-prompt gate-200.json):
 *   node --import tsx scripts/ship-checkpoint.mts RUN STEP DEST GATE_FILE NOTE COMMAND...
 * Stop strings are not part of a pretraining checkpoint: copy generation_config.json's
 * stop_strings from the model it continued (the envs' tiny stop strings).
 */
import { shipCheckpoint } from '../src/recipes/ship.ts';
const [run, step, dest, gateFile, note, ...commands] = process.argv.slice(2);
shipCheckpoint({ run, step: Number(step), dest, commands, note, gateFile });
