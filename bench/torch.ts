/**
 * PyTorch as the side-by-side reference of the benchmarks: finding a Python that has it, and
 * running a reference script. Scripts (bench/torch/*.py) read one JSON job on stdin and print
 * one JSON document on stdout (the last non-empty line); anything else they print goes to stderr.
 *
 * Only /usr/bin/python3 is tried: Debian's python3-torch is installed for that interpreter, and
 * another python3 earlier on PATH (a virtualenv, conda) usually lacks it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TORCH_PYTHON = '/usr/bin/python3';

/** How to get the reference on a Debian/Ubuntu machine (OpenBLAS: the default BLAS is ~40x slower). */
export const TORCH_INSTALL_HINT =
  'PyTorch not found for /usr/bin/python3; for the side-by-side numbers run: ' +
  'apt-get install -y python3-torch libopenblas0-pthread';

let cached: string | null | undefined;

/** /usr/bin/python3 when `import torch` works there, else null (checked once per process). */
export function detectTorch(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (existsSync(TORCH_PYTHON)) {
    const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) cached = TORCH_PYTHON;
  }
  return cached;
}

export interface RunPythonOptions {
  /** Kill the script after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Extra environment variables (e.g. OPENBLAS_NUM_THREADS). */
  env?: Record<string, string>;
}

/**
 * Runs `python script` with `job` as JSON on stdin and returns the JSON it printed last.
 * Throws with the script's stderr when it fails or prints no JSON.
 */
export function runPythonJson<T = unknown>(python: string, script: string, job: unknown, opts: RunPythonOptions = {}): T {
  const r = spawnSync(python, [script], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...opts.env },
  });
  const tail = (r.stderr ?? '').trim().split('\n').slice(-15).join('\n');
  if (r.error) throw new Error(`${script}: ${r.error.message}\n${tail}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}\n${tail}`);
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error(`${script} printed nothing on stdout\n${tail}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script}: last stdout line is not JSON: ${last.slice(0, 200)}`);
  }
}
