import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, progress } from '../../src/util/progress.ts';

function fake(isTTY: boolean, columns = 100) {
  const out: string[] = [];
  let t = 0;
  return {
    out,
    stream: { isTTY, columns, write: (s: string) => out.push(s) },
    now: () => t,
    advance: (ms: number) => (t += ms),
  };
}

test('formatDuration', () => {
  assert.equal(formatDuration(9.4), '9s');
  assert.equal(formatDuration(75), '1m15s');
  assert.equal(formatDuration(4000), '1h06m');
  assert.equal(formatDuration(NaN), '?');
});

test('TTY: redraws one line in place with bar, count, percent and ETA; done ends the line', () => {
  const f = fake(true);
  const bar = progress({ total: 10, label: 'train', stream: f.stream, now: f.now });
  f.advance(2000);
  bar.tick(2, { loss: 0.4213, step: 2 });
  assert.equal(f.out.length, 1);
  assert.ok(f.out[0].startsWith('\rtrain ['), f.out[0]);
  assert.match(f.out[0], /2\/10 20% 2s elapsed, ETA 8s \| loss 0\.421, step 2/);
  assert.ok(!f.out[0].includes('\n'), 'no newline while running');
  f.advance(50);
  bar.tick();
  assert.equal(f.out.length, 1, 'redraws are throttled to 10 per second');
  f.advance(200);
  bar.tick(1, 'hello');
  assert.equal(f.out.length, 2);
  assert.match(f.out[1], /4\/10 40%/);
  bar.done();
  assert.match(f.out[2], /4\/10 40% 2s total \| hello *\n$/);
  bar.tick();
  assert.equal(f.out.length, 3, 'ticks after done are ignored');
});

test('TTY: a shorter line erases the rest of the longer one before it', () => {
  const f = fake(true);
  const bar = progress({ total: 2, stream: f.stream, now: f.now });
  bar.tick(1, 'a long extra text');
  f.advance(1000);
  bar.tick(1, 'x');
  const [a, b] = f.out;
  assert.ok(b.length >= a.length, 'padded with spaces over the old text');
});

test('non-TTY: one plain line per 10% (not per tick), plus a heartbeat every N seconds', () => {
  const f = fake(false);
  const bar = progress({ total: 100, label: 'eval', stream: f.stream, now: f.now, everyS: 5 });
  for (let i = 0; i < 100; i++) {
    f.advance(100);
    bar.tick();
  }
  // A line at the first tick and at each decile 10%..100%.
  assert.equal(f.out.length, 11, f.out.join(''));
  for (const l of f.out) {
    assert.ok(l.endsWith('\n') && !l.includes('\r') && !l.includes('['), JSON.stringify(l));
  }
  assert.match(f.out[5], /^eval 50\/100 50% 5s elapsed, ETA 5s\n$/);
  // Slow work: nothing crosses a decile, but a line still appears every 5 s.
  const g = fake(false);
  const slow = progress({ total: 1000, stream: g.stream, now: g.now, everyS: 5 });
  slow.tick();
  for (let i = 0; i < 12; i++) {
    g.advance(1000);
    slow.tick();
  }
  assert.equal(g.out.length, 3, g.out.join(''));
  slow.done();
  assert.match(g.out[3], /13\/1000 1% 12s total\n$/);
});

test('non-TTY: done() right after reaching the total does not print the same line twice', () => {
  const f = fake(false);
  const bar = progress({ total: 2, stream: f.stream, now: f.now });
  bar.tick();
  bar.tick();
  bar.done();
  assert.equal(f.out.length, 2, f.out.join(''));
  assert.match(f.out[1], /^2\/2 100%/);
});

test('unknown total (0): count and elapsed time only, heartbeat lines without a TTY', () => {
  const f = fake(false);
  const bar = progress({ total: 0, label: 'scan', stream: f.stream, now: f.now, everyS: 10 });
  bar.tick(5);
  f.advance(3000);
  bar.tick(5);
  f.advance(8000);
  bar.tick(5);
  bar.done();
  assert.deepEqual(f.out, ['scan 5 0s elapsed\n', 'scan 15 11s elapsed\n', 'scan 15 11s total\n']);
});
