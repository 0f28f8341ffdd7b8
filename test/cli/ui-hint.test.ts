import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uiCommand } from '../../src/cli/ui-hint.ts';

test('the dashboard command: relative below the current folder, absolute elsewhere, quoted when needed', () => {
  assert.equal(uiCommand('/home/u/proj/runs/a', '/home/u/proj'), 'npx distil ui runs/a');
  assert.equal(uiCommand('/data/runs/a', '/home/u/proj'), 'npx distil ui /data/runs/a');
  assert.equal(uiCommand('/home/u/proj', '/home/u/proj'), 'npx distil ui .');
  assert.equal(uiCommand("/home/u/proj/my run's", '/home/u/proj'), `npx distil ui 'my run'\\''s'`);
});
