/**
 * Child process of test/train/resume.test.ts: trains the run described by a config file into a
 * run folder and, at the middle of step `killStep` (after sampling), writes a marker file and
 * blocks forever, so that the parent can kill it with SIGKILL mid-step.
 *
 * usage: node --import tsx test/train/resume-child.ts <config.json> <runDir> <marker> <killStep>
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../src/util/atomic.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/loop.ts';
import './learning-env.ts';

const [configPath, runDir, marker, killStep] = process.argv.slice(2);
if (!killStep) {
  process.stderr.write('usage: resume-child.ts <config.json> <runDir> <marker> <killStep>\n');
  process.exit(2);
}
const config = resolveTrainConfig(JSON.parse(readFileSync(configPath, 'utf8')));
await train(config, runDir, {
  log: () => {},
  midStep(step) {
    if (step !== Number(killStep)) return;
    // Atomically: the parent polls for the file and reads it at once, and must not see it empty.
    writeFileAtomic(marker, String(step));
    // Block without returning to the event loop: the parent kills us here.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
});
process.stderr.write(`resume-child: reached the end without being killed at step ${killStep}\n`);
process.exit(3);
