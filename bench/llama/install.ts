/**
 * Brings llama.cpp for the benchmark: the prebuilt CPU libraries of node-llama-cpp (pinned,
 * checked against the registry's integrity hashes), its headers from the llama.cpp source
 * bundle inside the same npm package, and bench/llama/driver.cc compiled against them. Runs
 * only from `npm run bench` (never from npm ci or npm test), caches under
 * node_modules/.cache, and returns why not when something is missing, so the section can say
 * so and go on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_LLAMA_CPP_VERSION = '3.21.1';
const PACKAGES: Record<string, string> = {
  // sha512 integrity of each tarball as the registry published it (npm view NAME@VERSION dist.integrity).
  [`node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`]: 'sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg==',
  [`@node-llama-cpp/linux-x64@${NODE_LLAMA_CPP_VERSION}`]: 'sha512-Totj6RTDMGo3FoK2yNUaz/oGmZD0olAqTrRluFUWmu0kW2i9TOzHSW0OWCAiGkzRCVX0WsU2CyUQo/W2NYtdPA==',
};

export interface LlamaInstall {
  /** The compiled driver (bench/llama/driver.cc). */
  driver: string;
  /** Folder of the prebuilt libraries (DISTIL_LLAMA_LIB_DIR for the driver). */
  libDir: string;
}

const run = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });

/** The installed llama.cpp, or a sentence saying why it cannot be had here. */
export function installLlama(repoRoot: string, note: (s: string) => void): LlamaInstall | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `node-llama-cpp's prebuilt CPU library is wired up for linux-x64 only (this is ${process.platform}-${process.arch})`;
  const dir = join(repoRoot, 'node_modules', '.cache', 'distil-bench-llama', NODE_LLAMA_CPP_VERSION);
  const libDir = join(dir, 'bin', 'package', 'bins', 'linux-x64');
  const driver = join(dir, 'driver');
  const source = join(repoRoot, 'bench', 'llama', 'driver.cc');
  try {
    if (!existsSync(join(dir, 'ready'))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      note(`llama.cpp: fetching node-llama-cpp ${NODE_LLAMA_CPP_VERSION} and its linux-x64 binaries (about 70 MB, once)`);
      const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir, ...Object.keys(PACKAGES)], dir)) as { id: string; integrity: string; filename: string }[];
      for (const p of packed) {
        if (PACKAGES[p.id] !== p.integrity) throw new Error(`${p.id}: integrity ${p.integrity} is not the pinned one`);
      }
      const file = (id: string) => join(dir, packed.find((p) => p.id === id)!.filename);
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'js'));
      run('tar', ['xzf', file(`@node-llama-cpp/linux-x64@${NODE_LLAMA_CPP_VERSION}`), '-C', join(dir, 'bin')]);
      run('tar', ['xzf', file(`node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`), '-C', join(dir, 'js'), 'package/llama/gitRelease.bundle']);
      // The headers of exactly the llama.cpp the binaries were built from.
      run('git', ['clone', '-q', '--bare', join(dir, 'js', 'package', 'llama', 'gitRelease.bundle'), join(dir, 'src.git')]);
      const tar = join(dir, 'headers.tar');
      writeFileSync(tar, execFileSync('git', ['--git-dir', join(dir, 'src.git'), 'archive', 'HEAD', 'include', 'ggml/include'], { maxBuffer: 1 << 28 }));
      mkdirSync(join(dir, 'headers'));
      run('tar', ['xf', tar, '-C', join(dir, 'headers')]);
      for (const f of [tar, join(dir, 'js'), join(dir, 'src.git'), ...readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f))]) rmSync(f, { recursive: true, force: true });
      writeFileSync(join(dir, 'ready'), '');
    }
    // Rebuilt every run: cheap, and follows edits of driver.cc.
    const libs = readdirSync(libDir);
    const lib = (prefix: string) => {
      const f = libs.find((n) => n.startsWith(prefix) && n.includes('.so'));
      if (!f) throw new Error(`no ${prefix}*.so in ${libDir}`);
      return `-l:${f}`;
    };
    run('g++', ['-O2', '-std=c++17', '-I', join(dir, 'headers', 'include'), '-I', join(dir, 'headers', 'ggml', 'include'), source,
      '-L', libDir, lib('libllama.'), lib('libggml.'), lib('libggml-base'), `-Wl,-rpath,${libDir}`, '-o', `${driver}.tmp`]);
    renameSync(`${driver}.tmp`, driver);
    return { driver, libDir };
  } catch (e) {
    const err = e as Error & { stderr?: string };
    return `could not install or build llama.cpp: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`;
  }
}
