import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import report, { parseReportArgs } from '../../src/cli/commands/report.ts';
import { UsageError } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';
import { makeRuns } from '../report/synthetic.ts';

test('argument parsing: dirs, --out in both forms, default out under reports/<timestamp>', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  assert.deepEqual(parseReportArgs(['a', '--out', 'x', 'b'], now), { dirs: ['a', 'b'], out: resolve('x'), title: undefined });
  assert.equal(parseReportArgs(['a', '--out=y'], now).out, resolve('y'));
  assert.equal(parseReportArgs(['a', '--title', 'T'], now).title, 'T');
  assert.equal(parseReportArgs(['a'], now).out, resolve('reports/2026-01-02T03-04-05Z'));
  const md = parseReportArgs(['a', '--markdown', 'docs/r.md', '--reference=opsd'], now);
  assert.equal(md.markdown, resolve('docs/r.md'));
  assert.equal(md.reference, 'opsd');
  assert.throws(() => parseReportArgs(['a', '--reference'], now), /--reference needs a value/);
  assert.throws(() => parseReportArgs([], now), UsageError);
  assert.throws(() => parseReportArgs(['a', '--out'], now), /--out needs a value/);
  assert.throws(() => parseReportArgs(['a', '--bogus'], now), /unknown option --bogus/);
});

test('distil report writes the report and prints the HTML path; a bad line exits 1 naming it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'distil-cli-report-'));
  const logs: string[] = [];
  const errs: string[] = [];
  t.mock.method(console, 'log', (s: string) => logs.push(s));
  t.mock.method(console, 'error', (s: string) => errs.push(s));
  // Keep the progress bar out of the test output.
  t.mock.method(process.stderr, 'write', () => true);
  try {
    const { dirs } = makeRuns(join(root, 'runs'));
    const few = dirs.filter((d) => /math-(distil|grpo)-s\d$/.test(d));
    const out = join(root, 'out');
    assert.equal(await report.run([...few, '--out', out]), 0);
    assert.deepEqual(logs, [join(out, 'index.html')]);
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /<b>distil<\/b> ended highest/);
    assert.ok(existsSync(join(out, 'curve-math-steps.png')));

    writeFileSync(join(few[0], 'eval.jsonl'), '{"step":0,"accuracy":0.5}\nnot json\n');
    assert.equal(await main(['report', few[0], '--out', join(root, 'out2')]), 2);
    assert.match(errs.join('\n'), /eval\.jsonl:2: not valid JSON/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
