/**
 * The dashboard's browser code, bundled from the package's own sources when the server starts
 * (esbuild, in memory, nothing written): client/app.ts with ECharts and the report's
 * spec -> option function, so the page needs no network and no build step.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'client');

export interface Assets {
  html: string;
  css: string;
  js: string;
}

export async function buildAssets(): Promise<Assets> {
  const res = await build({
    entryPoints: [join(CLIENT, 'app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return {
    html: readFileSync(join(CLIENT, 'index.html'), 'utf8'),
    css: readFileSync(join(CLIENT, 'style.css'), 'utf8'),
    js: res.outputFiles[0].text,
  };
}
