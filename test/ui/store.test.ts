import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/ui/store.ts';
import { chartsView, rolloutsView, stateView } from '../../src/ui/views.ts';

const row = (step: number) => JSON.stringify({ step, loss: 1 / step, accuracy: 0.1 * step }) + '\n';

function run(dir: string, steps = 3): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algorithm: 'grpo', env: 'math', seed: 1, steps: 10 }));
  writeFileSync(join(dir, 'metrics.jsonl'), Array.from({ length: steps }, (_, i) => row(i + 1)).join(''));
}

test('store: finds runs, follows appends, reports a broken line and recovers, marks a deleted run', () => {
  const root = mkdtempSync(join(tmpdir(), 'distil-store-'));
  try {
    let now = Date.now();
    const store = new RunStore([root], () => now);
    assert.deepEqual(store.poll(), [-1], 'an empty folder is a problem, not a crash');
    assert.match(store.problems[0].message, /not a run folder .* holds no run folders yet/);
    run(join(root, 'a'));
    const changed = store.poll();
    assert.ok(changed.includes(0) && changed.includes(-1), 'the new run is picked up and the problem cleared');
    assert.deepEqual(store.problems, []);
    assert.equal(store.poll().length, 0, 'nothing changed, nothing re-read');
    appendFileSync(join(root, 'a', 'metrics.jsonl'), row(4));
    assert.deepEqual(store.poll(), [0]);
    assert.equal(stateView(store).runs[0].step, 4);
    // A torn line in the middle: the run shows the error, keeps its last good data.
    appendFileSync(join(root, 'a', 'metrics.jsonl'), '{"step": 5, "lo\n' + row(6));
    store.poll();
    assert.equal(store.get(0)!.status, 'error');
    assert.match(store.get(0)!.error!, /metrics\.jsonl:5: not valid JSON/);
    assert.equal(stateView(store).runs[0].step, 4);
    writeFileSync(join(root, 'a', 'metrics.jsonl'), [1, 2, 3, 4, 5, 6].map(row).join(''));
    store.poll();
    assert.equal(store.get(0)!.status, 'running');
    now += 10 * 60_000;
    store.poll();
    assert.equal(store.get(0)!.status, 'stopped', 'no change for minutes');
    writeFileSync(join(root, 'a', 'summary.json'), '{}');
    store.poll();
    assert.equal(store.get(0)!.status, 'finished');
    rmSync(join(root, 'a'), { recursive: true });
    assert.deepEqual(store.poll(), [-1, 0]);
    assert.equal(store.get(0)!.status, 'deleted');
    assert.equal(stateView(store).runs[0].step, 6, 'what was read before is still shown');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('views: ten thousand rows become a bounded chart; rollouts of a run without samples say so', () => {
  const root = mkdtempSync(join(tmpdir(), 'distil-store-'));
  try {
    run(join(root, 'long'), 10_000);
    const store = new RunStore([root]);
    store.poll();
    const v = chartsView(store, { ids: [0], x: 'step', metrics: ['loss'], groupSeeds: false });
    assert.deepEqual(v.keys, ['accuracy', 'loss']);
    const loss = v.charts.find((c) => c.id === 'metric-loss-math')!;
    assert.ok(loss && loss.spec.kind === 'line');
    const n = loss.spec.series[0].x.length;
    assert.ok(n > 100 && n <= 300, `${n} points`);
    assert.match(rolloutsView(store, 0).html, /No samples\.jsonl/);
    assert.match(rolloutsView(store, 99).html, /not found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
