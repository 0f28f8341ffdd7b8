/**
 * The structure of src/ as rules a test can check: every import points down the layers (or
 * within its own folder), and source files are named in kebab-case. The order is the one of
 * docs/architecture.md; a folder may import its own files and any folder of a lower layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';

/**
 * Top-level folders of src/, lowest layer first. Folders on one line are peers and must not
 * import each other. A new folder goes on the line of the lowest layer that may import it,
 * above everything it imports; `index.ts` at the root of src/ is the public API and may import
 * anything.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['engine'],
  ['nn'],
  ['models'],
  ['inference'],
  ['losses'],
  ['backends', 'envs', 'eval'],
  ['feedback', 'teachers', 'judges'], // feedback renders an env's Outcome; teachers score with a backend; judges score work against a hidden reference
  ['algorithms'],
  ['train'],
  ['recipes', 'report', 'server', 'diffusion'], // diffusion: DDPM + DDPO on images, uses train's run files
  ['diffusion-lm'], // masked-diffusion LM: the tiny tokenizer from recipes, run folders from train
  ['ui'], // distil ui: the live dashboard over run folders, drawn with the report's pieces
  ['cli'],
];

const SRC = 'src';
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

/** Relative module specifiers of a file: static imports and exports, import(), require(). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]/g,
    /\bimport\s*['"](\.[^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]);
  return out;
}

/** The top-level folder of src/ a path is in ('' for files at the root of src/). */
function folderOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? parts[0] : '';
}

export function layerOf(folder: string): number | undefined {
  const i = LAYERS.findIndex((line) => line.includes(folder));
  return i < 0 ? undefined : i;
}

test('every top-level folder of src/ has a place in the layer table', () => {
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const missing = folders.filter((f) => layerOf(f) === undefined);
  assert.deepEqual(missing, [], `src/${missing[0]} is not in LAYERS (test/layers.test.ts): add it to the line of the lowest layer that may import it, above every folder it imports, and say so in docs/architecture.md`);
});

test('every top-level folder of src/ has a README saying what it holds and what it may import', () => {
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const lacking = folders.filter((f) => !existsSync(join(SRC, f, 'README.md')) || !/May import/.test(readFileSync(join(SRC, f, 'README.md'), 'utf8')));
  assert.deepEqual(lacking, [], `write src/<folder>/README.md: a table of its files and what each holds, and a line 'May import: ...' (the folders below it in LAYERS)`);
});

test('imports point down the layers', () => {
  const violations: string[] = [];
  for (const file of walk(SRC).filter((f) => SOURCE.test(f))) {
    const from = folderOf(file);
    if (from === '') continue; // src/index.ts: the public API re-exports every layer
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec));
      if (relative(SRC, target).startsWith('..')) {
        violations.push(`${file} imports ${spec}, outside src/: the package must stand on src/ alone; move what it needs into src/`);
        continue;
      }
      const to = folderOf(target);
      if (to === from) continue;
      const a = layerOf(from), b = layerOf(to);
      if (a === undefined || b === undefined) continue; // reported by the test above
      if (b >= a) {
        violations.push(
          `${file} (layer ${a}: ${from}) imports ${target} (layer ${b}: ${to}), which is ${b === a ? 'a peer' : 'above it'}. ` +
          `Fix: move the shared piece down into src/${from}/ or a lower folder (types go where the code that defines them lives), ` +
          `or let the caller pass it in (a parameter or callback); if the folder order itself is wrong, change LAYERS in test/layers.test.ts and docs/architecture.md.`,
        );
      }
    }
  }
  assert.deepEqual(violations, [], violations.join('\n'));
});

test('source files are named in kebab-case', () => {
  const bad = [...walk(SRC), ...walk('test')]
    .filter((f) => SOURCE.test(f))
    .filter((f) => !/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/.test(basename(f)));
  assert.deepEqual(bad, [], `rename with git mv to lower-case words joined by '-' (e.g. soft-cross-entropy.ts): ${bad.join(', ')}`);
});

test('the import scanner sees every form of relative import', () => {
  const src = [
    "import { a } from '../x/a.ts';",
    "import type {\n  B,\n} from './b.ts';",
    "export * from '../c/index.ts';",
    "import './side-effect.ts';",
    "const d = await import('../d.ts');",
    "const e = require('./e.cjs');",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(relativeImports(src).sort(), ['../c/index.ts', '../d.ts', '../x/a.ts', './b.ts', './e.cjs', './side-effect.ts']);
  assert.equal(layerOf('util'), 0);
  assert.ok(layerOf('cli')! > layerOf('train')!);
});

test('src/ points only at files inside the repository', () => {
  // The repository stands alone: a comment that cites a document or file must cite one that is here.
  const missing: string[] = [];
  for (const file of walk(SRC).filter((f) => /\.(ts|cjs|mjs|md)$/.test(f))) {
    const text = readFileSync(file, 'utf8');
    // Code paths must exist; a docs/ page may be cited before it is written (it is in the repository's plan).
    for (const m of text.matchAll(/(?<![\w./-])((?:src|test|scripts|bench|examples|native)\/[\w./-]*\w\.(?:md|ts|json|cjs|mjs|cpp|h))\b/g)) {
      if (!existsSync(m[1])) missing.push(`${file}: ${m[1]}`);
    }
    for (const m of text.matchAll(/(?<![\w./-])([A-Z][A-Z_]+\.md)\b/g)) {
      if (!existsSync(m[1]) && !existsSync(join(dirname(file), m[1]))) missing.push(`${file}: ${m[1]}`);
    }
    if (/\.\.\/shared\/|\/work\//.test(text)) missing.push(`${file}: a path of one machine (../shared/ or /work/)`);
  }
  assert.deepEqual(missing, [], `these files are not in the repository; put what the comment relies on into docs/ and cite that:\n${missing.join('\n')}`);
});
