import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { jsKernels, kernels, kernelsName, setKernels } from '../../../src/engine/kernels/index.ts';

test('setKernels forces a kernel set and returns the previous one', () => {
  const prev = setKernels(jsKernels);
  assert.equal(kernels(), jsKernels);
  assert.equal(kernelsName(), 'js');
  setKernels(prev);
});

test('DISTIL_ENGINE=js selects the reference kernels without a warning', () => {
  const code = "import { kernelsName } from './src/engine/kernels/index.ts'; process.stdout.write(kernelsName());";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, DISTIL_ENGINE: 'js' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'js');
  assert.equal(r.stderr, '');
});
