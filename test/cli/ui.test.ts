import { test } from 'node:test';
import assert from 'node:assert/strict';
import ui from '../../src/cli/commands/ui.ts';

test('distil ui: a missing folder or a bad port is a usage error naming it', async () => {
  await assert.rejects(ui.run(['/no/such/runs']), /\/no\/such\/runs: no such folder/);
  await assert.rejects(ui.run(['.', '--port', 'abc']), /--port abc: expected a port number/);
  await assert.rejects(ui.run(['.', '--port', '70000']), /--port 70000/);
});
