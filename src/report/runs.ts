/**
 * Reading run folders (docs/run-folder.md) and grouping them: seeds of one method on one env
 * form a group, the unit every table row and every curve with a band is computed from.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readJson, readJsonl, RunFormatError, str, num, type Row } from './jsonl.ts';

export { RunFormatError, type Row };

export interface Run {
  dir: string;
  /** The folder name (config.name is the method's label, shared by its seeds). */
  name: string;
  /** Algorithm as configured (e.g. 'distil', 'grpo'). */
  algorithm: string;
  /** What the report calls this method; equal for all seeds of one configuration. */
  label: string;
  /** The env the run trained on, when the config says. */
  env?: string;
  seed?: number;
  config: Row;
  metrics: Row[];
  evals: Row[];
  samples: Row[];
  gate?: unknown;
  summary?: unknown;
  /** Things that were skipped or odd but not fatal. */
  warnings: string[];
  /** A pretraining run (no algorithm; a corpus or a teacher gate): shown with the gate, not compared. */
  pretrain?: boolean;
}

export interface Group {
  label: string;
  env: string;
  runs: Run[];
}

export const RUN_FILES = ['config.json', 'metrics.jsonl', 'eval.jsonl', 'samples.jsonl', 'gate.json', 'summary.json'];

export function isRunDir(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(join(dir, f)));
}

/**
 * Turn the paths given on the command line into run folders: a run folder is kept; a folder
 * holding run folders (e.g. runs/) is replaced by them, up to four levels down (a comparison
 * folder holds runs/<method>/<env>/seed-N).
 */
export function expandRunDirs(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const dir = resolve(p);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFormatError(`${p}: no such folder`);
    if (isRunDir(dir)) {
      out.push(dir);
      continue;
    }
    const found = findRunDirs(dir, 4);
    if (found.length === 0) {
      throw new RunFormatError(`${p}: not a run folder (none of ${RUN_FILES.join(', ')}) and holds no run folders`);
    }
    out.push(...found);
  }
  return [...new Set(out)];
}

/** Run folders under dir, up to depth levels down (checkpoints/ and hidden folders skipped). */
export function findRunDirs(dir: string, depth: number): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (name.startsWith('.') || name === 'checkpoints' || !statSync(sub).isDirectory()) continue;
    if (isRunDir(sub)) out.push(sub);
    else if (depth > 1) out.push(...findRunDirs(sub, depth - 1));
  }
  return out;
}

/** The name of a thing configured either as a string or as an object with a name. */
function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Row).name === 'string') return (v as Row).name as string;
  return undefined;
}

/**
 * A training config's `name` is the method's label in reports (distil train defaults it to the
 * algorithm). Some people put the seed in it ("distil-s1", "grpo_seed2"): that suffix is
 * dropped so that the seeds still group together.
 */
export function labelFromName(name: string | undefined, seed: number | undefined): string | undefined {
  if (!name) return undefined;
  if (seed === undefined) return name;
  // Only after a separator, so "v2" or "run12" stay whole: "x-1", "x_s1", "x-seed-1", "x.seed=1".
  const m = new RegExp(`^(.+?)[-_.](?:s|seed)?[-_=]?${seed}$`).exec(name);
  return m ? m[1] : name;
}

export function readRun(dirIn: string): Run {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new RunFormatError(`${dirIn}: no such run folder`);
  const warnings: string[] = [];
  const cfg = readJson(join(dir, 'config.json'));
  if (cfg !== undefined && (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg))) {
    throw new RunFormatError(`${join(dir, 'config.json')}: expected a JSON object`);
  }
  const config = (cfg ?? {}) as Row;
  const algorithm = nameOf(config.algorithm) ?? 'unknown';
  const seed = num(config, 'seed');
  const label = str(config, 'label') || labelFromName(str(config, 'name'), seed) || algorithm;
  const run: Run = {
    dir,
    name: basename(dir),
    algorithm,
    label,
    env: nameOf(config.env),
    seed,
    config,
    metrics: readJsonl(join(dir, 'metrics.jsonl'), warnings),
    evals: readJsonl(join(dir, 'eval.jsonl'), warnings),
    samples: readJsonl(join(dir, 'samples.jsonl'), warnings),
    gate: readJson(join(dir, 'gate.json')),
    summary: readJson(join(dir, 'summary.json')),
    warnings,
  };
  run.pretrain = config.algorithm === undefined && (run.gate !== undefined || config.corpus !== undefined);
  // A pretraining folder with only gate.json needs no config to be shown; a training run does.
  if (cfg === undefined && !run.pretrain && (run.metrics.length || run.evals.length)) warnings.push(`${dir}: no config.json; algorithm and seed unknown`);
  return run;
}

/** Nested config flattened to dotted keys with JSON-encoded leaves, for comparing configs. */
export function flattenConfig(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Row)) flattenConfig(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = JSON.stringify(v);
  }
  return out;
}

// Keys that differ between seeds of one method without making it a different method:
// identity and bookkeeping, and settings of logging, checkpointing and speed.
const INCIDENTAL = /(^|\.)(seed|name|label|env|out|output|dir|path|resume|created|started|date|time|timestamp|host|pid|version|commit)([._]|$)|(_dir|_path|_file)$/;
const BOOKKEEPING = /(Every|_every|^keepCheckpoints|^samplesPerStep|^maxTokensPerPass|^klInit)$/;

/**
 * Short forms of one key's values for labels: long values (paths) lose the prefix and suffix
 * they all share, so "/tmp/a-1/ckpt/model" and "/tmp/a-2/ckpt/model" become "…1…" and "…2…".
 */
export function shortValues(values: string[]): string[] {
  const vs = values.map((v) => v.replace(/^"|"$/g, ''));
  if (vs.every((v) => v.length <= 24)) return vs;
  const distinct = [...new Set(vs)];
  let pre = 0, suf = 0;
  if (distinct.length > 1) {
    const minLen = Math.min(...distinct.map((v) => v.length));
    while (pre < minLen && distinct.every((v) => v[pre] === distinct[0][pre])) pre++;
    while (suf < minLen - pre && distinct.every((v) => v[v.length - 1 - suf] === distinct[0][distinct[0].length - 1 - suf])) suf++;
  }
  return vs.map((v) => {
    let s = v.slice(pre, v.length - suf);
    if (s.length > 24) s = s.slice(0, 23) + '…';
    return `${pre ? '…' : ''}${s}${suf ? '…' : ''}`;
  });
}

/** The algorithm's own options say most about a method, so they come first in a label. */
function keyRank(k: string): number {
  return /^algorithm/i.test(k) ? 0 : /^(lr|teacher)/i.test(k) ? 1 : 2;
}

/**
 * Runs of one algorithm on one env that differ in a setting (an ablation such as future
 * credit on and off) must not be averaged as if they were seeds: their labels get the
 * differing settings appended, e.g. "distil (future_credit=false)". Mutates run.label.
 */
export function disambiguateLabels(runs: Run[]): void {
  const byKey = new Map<string, Run[]>();
  for (const r of runs) {
    const k = `${r.label}\u0000${r.env ?? ''}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  for (const group of byKey.values()) {
    // A label someone chose (config.label, or a name other than the algorithm) is kept as is.
    const chosen = (r: Run) => typeof r.config.label === 'string' || (typeof r.config.name === 'string' && r.label !== r.algorithm);
    if (group.length < 2 || group.some(chosen)) continue;
    const flats = group.map((r) => flattenConfig(r.config));
    const keys = [...new Set(flats.flatMap((f) => Object.keys(f)))].filter((k) => !INCIDENTAL.test(k) && !BOOKKEEPING.test(k));
    const differing = keys
      .filter((k) => new Set(flats.map((f) => f[k] ?? 'unset')).size > 1)
      .sort((a, b) => keyRank(a) - keyRank(b) || a.localeCompare(b));
    if (differing.length === 0) continue;
    const shown = differing.slice(0, 3);
    const short = new Map(shown.map((k) => [k, shortValues(flats.map((f) => f[k] ?? 'unset'))]));
    // Different settings must never end up under one label (shortened values, or keys beyond
    // the three shown, could collide): such labels get a number.
    const bySignature = new Map<string, string>();
    const used = new Set<string>();
    group.forEach((r, i) => {
      const sig = JSON.stringify(differing.map((k) => flats[i][k] ?? 'unset'));
      let label = bySignature.get(sig);
      if (label === undefined) {
        const parts = shown.map((k) => `${k.split('.').pop()}=${short.get(k)![i]}`);
        const base = `${r.label} (${parts.join(', ')}${differing.length > 3 ? ', …' : ''})`;
        label = base;
        for (let n = 2; used.has(label); n++) label = `${base} #${n}`;
        bySignature.set(sig, label);
        used.add(label);
      }
      r.label = label;
    });
  }
}

/** The envs a run has results for: those named in eval.jsonl, else its configured env. */
export function runEnvs(run: Run): string[] {
  const envs = new Set<string>();
  for (const e of run.evals) envs.add(str(e, 'env') ?? run.env ?? 'default');
  if (envs.size === 0) envs.add(run.env ?? 'default');
  return [...envs];
}

/** Group runs by (label, env), skipping runs without training data; sorted by env, then label. */
export function groupRuns(runs: readonly Run[]): Group[] {
  const map = new Map<string, Group>();
  for (const run of runs) {
    // Pretraining folders have nothing to compare: they are shown in the gate section.
    if (run.pretrain || (!run.metrics.length && !run.evals.length && !run.samples.length)) continue;
    for (const env of runEnvs(run)) {
      const k = `${env}\u0000${run.label}`;
      if (!map.has(k)) map.set(k, { label: run.label, env, runs: [] });
      map.get(k)!.runs.push(run);
    }
  }
  return [...map.values()].sort((a, b) => a.env.localeCompare(b.env) || a.label.localeCompare(b.label));
}

/** Read, label and group run folders (paths may be folders of runs). */
export function loadRuns(paths: readonly string[]): { runs: Run[]; groups: Group[] } {
  const runs = expandRunDirs(paths).map(readRun);
  disambiguateLabels(runs);
  return { runs, groups: groupRuns(runs) };
}
