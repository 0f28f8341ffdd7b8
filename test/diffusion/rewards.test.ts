import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeClassifier } from '../../src/diffusion/classifier.ts';
import { brightness, compressibility, compressibilityAt, resolveReward, scoreImages, toBytes } from '../../src/diffusion/rewards.ts';
import { Rng } from '../../src/util/rng.ts';
import { tempDir } from './helpers.ts';

const black = new Float32Array(256).fill(-1);
const rng = new Rng(9);
const noise = Float32Array.from({ length: 256 }, () => rng.next() * 2 - 1);

test('compressibility: an all-black image beats noise; brightness is the mean in [0, 1]', () => {
  assert.ok(compressibility.fn(black, 0, 16) > compressibility.fn(noise, 0, 16));
  assert.ok(compressibility.fn(black, 0, 16) < 0);
  assert.equal(brightness.fn(black, 0, 16), 0);
  assert.equal(brightness.fn(new Float32Array(256).fill(1), 0, 16), 1);
  assert.equal(brightness.fn(Float32Array.from({ length: 256 }, (_, i) => (i % 2 ? 1 : -1)), 0, 16), 0.5);
  assert.deepEqual([...toBytes(Float32Array.of(-1, 0, 1, 3))], [0, 128, 255, 255]);
});

test('compressibility at fewer bits: low-amplitude speckle on black compresses once quantised away', async () => {
  const r = new Rng(4);
  const speckled = Float32Array.from({ length: 256 }, () => -1 + 0.08 * r.next());
  const c4 = await resolveReward('compressibility4');
  assert.equal(c4.name, 'compressibility4');
  // At 8 bits the speckle (0..10 grey levels) defeats deflate; at 4 bits it is all zeros.
  assert.ok(compressibility.fn(speckled, 0, 16) < compressibility.fn(black, 0, 16) - 50);
  assert.equal(c4.fn(speckled, 0, 16), c4.fn(black, 0, 16));
  assert.equal(compressibilityAt(8).fn(noise, 0, 16), compressibility.fn(noise, 0, 16));
  assert.throws(() => compressibilityAt(9), /integer 1..8/);
});

test('alignment is the classifier probability of the prompted digit', async () => {
  const clf = makeClassifier(new Rng(1), 8);
  const r = await resolveReward('alignment', clf);
  const ps = Array.from({ length: 10 }, (_, d) => r.fn(noise, d, 16));
  assert.ok(Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  await assert.rejects(resolveReward('alignment'), /needs a checkpoint with a classifier/);
});

test('a reward that throws or returns NaN: counted, the sample marked, the others scored', () => {
  const images = new Float32Array(3 * 256);
  const flaky = { name: 'flaky', fn: (_: Float32Array, p: number) => (p === 1 ? NaN : p === 2 ? (() => { throw new Error('boom'); })() : 0.5) };
  const s = scoreImages(flaky, images, [0, 1, 2], 16);
  assert.deepEqual(s.rewards.slice(0, 1), [0.5]);
  assert.ok(Number.isNaN(s.rewards[1]) && Number.isNaN(s.rewards[2]));
  assert.deepEqual(s.failures.map((f) => f.index), [1, 2]);
  assert.match(s.failures[0].error, /not a finite number/);
  assert.match(s.failures[1].error, /boom/);
});

test('a user reward module through the same interface; unknown names and bad modules are clear errors', async () => {
  const dir = tempDir();
  const good = join(dir, 'center.mjs');
  writeFileSync(good, 'export default (image, prompt, size) => image[(size / 2) * size + size / 2] + prompt;\n');
  const r = await resolveReward(`module:${good}`);
  const img = new Float32Array(256);
  img[8 * 16 + 8] = 0.25;
  assert.equal(r.fn(img, 2, 16), 2.25);
  const bad = join(dir, 'bad.mjs');
  writeFileSync(bad, 'export const x = 1;\n');
  await assert.rejects(resolveReward(`module:${bad}`), /must default-export a function/);
  await assert.rejects(resolveReward(`module:${join(dir, 'missing.mjs')}`), /could not be loaded/);
  await assert.rejects(resolveReward('jpeg'), /unknown reward 'jpeg'/);
});
