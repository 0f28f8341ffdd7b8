#!/usr/bin/env node
// Builds the native kernel addon (native/build/distil.node) straight with g++ against the
// headers of the `node-api-headers` package, so nothing is downloaded (node-gyp may try to
// fetch Node headers on some machines). Runs from `npm install`; it never fails the install:
// when the compiler is missing or the build breaks, it records why in
// native/build/BUILD_FAILED.txt and distil falls back to the TypeScript kernels (and says so once).
//   node native/build.mjs [--force] [--debug]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');
const outDir = join(here, 'build');
const outFile = join(outDir, 'distil.node');
const stampFile = join(outDir, 'stamp.txt');
const sourcesFile = join(outDir, 'sources.sha256');
const failFile = join(outDir, 'BUILD_FAILED.txt');
const force = process.argv.includes('--force');
const debug = process.argv.includes('--debug');

function headersDir() {
  try {
    const req = createRequire(import.meta.url);
    return join(dirname(req.resolve('node-api-headers/package.json')), 'include');
  } catch {
    // Fall back to the headers of the running Node installation.
    const guess = join(dirname(dirname(process.execPath)), 'include', 'node');
    return existsSync(join(guess, 'node_api.h')) ? guess : null;
  }
}

function main() {
  mkdirSync(outDir, { recursive: true });
  if (process.env.DISTIL_ENGINE === 'js') {
    console.log('[distil] DISTIL_ENGINE=js: skipping the native build');
    return;
  }
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc')).sort().map((f) => join(srcDir, f));
  const headers = readdirSync(srcDir).filter((f) => f.endsWith('.h')).sort().map((f) => join(srcDir, f));
  const inc = headersDir();
  if (!inc) throw new Error('no Node-API headers found (install the node-api-headers package)');
  const cxx = process.env.CXX || 'g++';
  const flags = [
    '-std=c++17', debug ? '-O0' : '-O3', debug ? '-g' : '-DNDEBUG', '-march=native', '-fopenmp',
    '-shared', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wno-unused-function',
    '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=distil', `-I${inc}`, `-I${srcDir}`,
    ...(process.env.DISTIL_NATIVE_CXXFLAGS ? process.env.DISTIL_NATIVE_CXXFLAGS.split(/\s+/) : []),
  ];
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ cxx, flags, node: process.version }));
  for (const f of [...sources, ...headers]) hash.update(readFileSync(f));
  const stamp = hash.digest('hex');
  // The sources alone, for the loader's staleness check (src/engine/kernels/native.ts): an addon
  // built from older sources may lack a changed kernel's new contract and must not be used.
  const sourcesHash = createHash('sha256');
  for (const f of [...sources, ...headers]) sourcesHash.update(readFileSync(f));
  const sourcesStamp = sourcesHash.digest('hex');
  if (!force && existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    if (!existsSync(sourcesFile)) writeFileSync(sourcesFile, sourcesStamp);
    return;
  }
  const tmp = `${outFile}.tmp-${process.pid}`;
  const t0 = Date.now();
  execFileSync(cxx, [...flags, ...sources, '-o', tmp, '-lgomp', '-lpthread'], { stdio: ['ignore', 'inherit', 'pipe'] });
  renameSync(tmp, outFile); // atomic: a half-written addon is never loaded
  writeFileSync(stampFile, stamp);
  writeFileSync(sourcesFile, sourcesStamp);
  rmSync(failFile, { force: true });
  console.log(`[distil] native kernels built in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${outFile}`);
}

try {
  main();
} catch (err) {
  const reason = String(err?.stderr ?? '') || String(err?.message ?? err);
  try {
    writeFileSync(failFile, reason);
  } catch {}
  console.warn(`[distil] native kernels could not be built; the TypeScript kernels will be used.\n${reason.slice(0, 2000)}`);
}
