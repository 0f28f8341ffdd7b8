/**
 * `npm run bench` — runs every section in bench/sections/*.ts (each default-exports a
 * BenchSection) in order of `order`, and prints what they record:
 *   default   aligned rows on stdout, notes on stderr, then the summary;
 *   --json    one JSON object per line on stdout ({"section": name, ...row}), nothing on stderr,
 *             the last line the summary: {"summary": true, ...keys of every section}.
 *   --only a,b   run only the named sections;   --quick   fewer repetitions (smoke test).
 * A section that throws is reported ({"section", "error"}) and its summary keys stay absent;
 * the other sections still run and the exit code is 1. See bench/README.md.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchSection } from './section.ts';
import { detectTorch, TORCH_INSTALL_HINT } from './torch.ts';

type Row = Record<string, string | number | boolean | null>;

interface Options { json: boolean; quick: boolean; only: string[] | null }

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, quick: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a comma-separated list of section names');
      opts.only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--json] [--quick] [--only name1,name2]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return opts;
}

async function discover(dir: string): Promise<BenchSection[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const sections: BenchSection[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: Partial<BenchSection> };
    const s = mod.default;
    if (!s || typeof s.name !== 'string' || typeof s.order !== 'number' || typeof s.run !== 'function')
      throw new Error(`bench/sections/${f} must default-export a BenchSection { name, order, run }`);
    sections.push(s as BenchSection);
  }
  return sections.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** Numbers shown with about 4 significant digits; everything else as text. */
function formatValue(v: Row[string]): string {
  if (typeof v !== 'number') return v === null ? '-' : String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const mag = Math.abs(v);
  return mag >= 1000 ? v.toFixed(0) : mag >= 100 ? v.toFixed(1) : mag >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/**
 * Human output that streams yet stays aligned: each column is as wide as its header (at least
 * 10); a header line is printed again whenever a row brings a different set of columns.
 */
class TablePrinter {
  private keys = '';
  constructor(private out: (line: string) => void) {}
  row(section: string, row: Row): void {
    const cols = Object.keys(row);
    // Text columns (shape names) get room for typical labels, numbers 10 characters.
    const widths = cols.map((k) => Math.max(typeof row[k] === 'string' ? 20 : 10, k.length));
    const sig = section + '|' + cols.join('|');
    if (sig !== this.keys) {
      this.keys = sig;
      this.out('');
      this.out(`[${section}]`);
      this.out(cols.map((k, i) => (typeof row[k] === 'string' ? k.padEnd(widths[i]) : k.padStart(widths[i]))).join('  '));
    }
    const cell = (k: string, i: number) =>
      typeof row[k] === 'string' ? formatValue(row[k]).padEnd(widths[i]) : formatValue(row[k]).padStart(widths[i]);
    this.out(cols.map(cell).join('  '));
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  let sections = await discover(join(here, 'sections'));
  if (opts.only) {
    const names = new Set(sections.map((s) => s.name));
    const unknown = opts.only.filter((n) => !names.has(n));
    if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; available: ${[...names].join(', ')}`);
    sections = sections.filter((s) => opts.only!.includes(s.name));
  }
  const stdout = (line: string) => process.stdout.write(line + '\n');
  const note = (text: string) => {
    if (!opts.json) process.stderr.write(text + '\n');
  };
  const torchPython = detectTorch();
  if (!torchPython) note(TORCH_INSTALL_HINT);
  const table = new TablePrinter(stdout);
  const summary: Record<string, number | null> = {};
  let failed = 0;
  for (const s of sections) {
    note(`-- ${s.name}`);
    const ctx: BenchContext = {
      record: (row) => (opts.json ? stdout(JSON.stringify({ section: s.name, ...row })) : table.row(s.name, row)),
      note,
      torchPython,
      quick: opts.quick,
    };
    const t0 = performance.now();
    try {
      Object.assign(summary, await s.run(ctx));
    } catch (err) {
      failed++;
      const msg = err instanceof Error ? err.message : String(err);
      if (opts.json) stdout(JSON.stringify({ section: s.name, error: msg }));
      else process.stderr.write(`section ${s.name} failed: ${err instanceof Error ? err.stack : msg}\n`);
    }
    note(`   ${s.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (opts.json) {
    stdout(JSON.stringify({ summary: true, ...summary }));
  } else {
    stdout('');
    stdout('[summary]');
    const w = Math.max(10, ...Object.keys(summary).map((k) => k.length));
    for (const [k, v] of Object.entries(summary)) stdout(`${k.padEnd(w)}  ${formatValue(v)}`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
