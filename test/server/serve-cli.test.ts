import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { fixture } from './helpers.ts';

const bin = fileURLToPath(new URL('../../bin/distil.mjs', import.meta.url));

test('distil serve listens, answers, and stops cleanly on SIGINT', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--model', fixture('tiny-llama'), '--port', '0', '--name', 'tiny', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`distil serve exited early: ${out}${err}`)));
    });
    const models: any = await (await fetch(`${url}/v1/models`)).json();
    assert.equal(models.data[0].id, 'tiny');
    const c: any = await (await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'tiny', prompt: 'abc', max_tokens: 3, seed: 1 }) })).json();
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason));
    assert.equal(c.usage.prompt_tokens, 3);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, err);
  assert.match(out, /stopped/);
});

test('distil serve without --model, or with a bad port, is a usage error', async () => {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (msg: string) => errors.push(msg);
  try {
    assert.equal(await main(['serve']), 2);
    assert.equal(await main(['serve', '--model', fixture('tiny-llama'), '--port', 'http']), 2);
    assert.equal(await main(['serve', '--model', '/no/such/folder']), 2);
  } finally {
    console.error = orig;
  }
  assert.match(errors[0], /--model DIR is required/);
  assert.match(errors[1], /--port must be a whole number/);
  assert.match(errors[2], /does not exist/);
});
