/**
 * The end-to-end check of checkpoint loading: every fixture folder, loaded into distil's
 * Transformer, reproduces the logits that scripts/make_fixtures.py computed with a plain-torch
 * implementation of the Hugging Face forward pass (Llama, Qwen2, Qwen3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { noGrad } from '../../src/engine/index.ts';
import { join } from 'node:path';
import { loadModelFolder, saveModelFolder } from '../../src/models/folder.ts';
import { expectedTensors } from '../../src/models/expected-weights.ts';
import { transformerFromWeights, weightsOfTransformer } from '../../src/models/transformer-io.ts';
import { parameterShapes } from '../../src/nn/transformer.ts';
import { fixture, tempDir } from './helpers.ts';

function reference(name: string): { ids: number[][]; shape: number[]; logits: Float32Array } {
  const meta = JSON.parse(readFileSync(fixture(`${name}.logits.json`), 'utf8'));
  const bin = readFileSync(fixture(`${name}.logits.bin`));
  const logits = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  return { ids: meta.input_ids, shape: meta.shape, logits };
}

const cases: Array<[folder: string, ref: string]> = [
  ['tiny-llama', 'tiny-llama'],
  ['tiny-llama-sharded', 'tiny-llama'],
  ['tiny-llama-bf16', 'tiny-llama-bf16'],
  ['tiny-qwen2', 'tiny-qwen2'],
  ['tiny-qwen3', 'tiny-qwen3'],
];

for (const [folder, refName] of cases) {
  test(`${folder}: logits match the torch reference to 1e-4`, () => {
    const f = loadModelFolder(fixture(folder));
    const ref = reference(refName);
    const [B, T, V] = ref.shape;
    assert.equal(V, f.config.vocabSize);
    const model = transformerFromWeights(f.config, f.weights, folder);
    const ids = Int32Array.from(ref.ids.flat());
    const out = noGrad(() => model.forward(ids, B, T)).data;
    assert.equal(out.length, ref.logits.length);
    let maxErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < out.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(out[i] - ref.logits[i]));
      maxAbs = Math.max(maxAbs, Math.abs(ref.logits[i]));
    }
    assert.ok(maxAbs > 1, `the reference logits should be far from zero to make this test meaningful (max |logit| ${maxAbs})`);
    assert.ok(maxErr < 1e-4, `max |distil - torch| = ${maxErr} (max |logit| ${maxAbs})`);
  });
}

test('the BF16 variant really differs from the F32 model (so its test checks the BF16 path)', () => {
  const a = reference('tiny-llama').logits;
  const b = reference('tiny-llama-bf16').logits;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  assert.ok(diff > 1e-3, `max difference ${diff}`);
});

test('expectedTensors agrees with the names and shapes the Transformer declares', () => {
  for (const name of ['tiny-llama', 'tiny-qwen2', 'tiny-qwen3']) {
    const c = loadModelFolder(fixture(name), { weights: false }).config;
    const mine = new Map(expectedTensors(c).map((e) => [e.name, e.shape]));
    assert.deepEqual(new Map(parameterShapes(c)), mine, name);
  }
});


test('a Transformer saved with saveModelFolder and loaded back computes the same logits', () => {
  const f = loadModelFolder(fixture('tiny-qwen2'));
  const model = transformerFromWeights(f.config, f.weights);
  const out = join(tempDir(), 'resaved');
  saveModelFolder(out, { config: model.config, weights: weightsOfTransformer(model), tokenizer: f.tokenizer });
  const again = transformerFromWeights(loadModelFolder(out).config, loadModelFolder(out).weights);
  const ids = Int32Array.from([5, 17, 260, 3, 99, 280]);
  const a = noGrad(() => model.forward(ids, 2, 3)).data;
  const b = noGrad(() => again.forward(ids, 2, 3)).data;
  assert.deepEqual(b, a);
});

test('transformerFromWeights names a missing tensor instead of building a half-loaded model', () => {
  const f = loadModelFolder(fixture('tiny-llama'));
  f.weights.delete('model.norm.weight');
  assert.throws(() => transformerFromWeights(f.config, f.weights, 'my checkpoint'), /my checkpoint is missing tensor "model\.norm\.weight"/);
});
