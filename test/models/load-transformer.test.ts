import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/models/folder.ts';
import { loadTransformer, transformerFromWeights } from '../../src/models/transformer-io.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'models');

for (const name of ['tiny-llama', 'tiny-llama-bf16', 'tiny-llama-sharded', 'tiny-qwen2', 'tiny-qwen3']) {
  test(`${name}: loading straight into the model equals loading then copying`, () => {
    const { model } = loadTransformer(join(FIX, name));
    const f = loadModelFolder(join(FIX, name));
    const ref = transformerFromWeights(f.config, f.weights);
    for (const [n, p] of ref.params) assert.deepEqual(model.params.get(n)!.data, p.data, n);
  });
}

test('a tensor whose shape does not match the config is an error naming it, not a half-loaded model', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'distil-lt-')), 'm');
  cpSync(join(FIX, 'tiny-llama'), dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.intermediate_size += 2;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  assert.throws(() => loadTransformer(dir), /mlp\.(gate|up|down)_proj\.weight/);
});
