import { readFileSync } from 'node:fs';
import { kernelsName, nativeError } from '../../engine/kernels/index.ts';
import type { Command } from '../command.ts';

const version: Command = {
  name: 'version',
  summary: 'Print the distil version and which kernels are in use',
  help: 'Usage: distil version\n\nPrints the package version, and whether the native kernels or the TypeScript fallback run (and why).',
  async run() {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    console.log(`distil ${pkg.version} (node ${process.version})`);
    const which = kernelsName();
    console.log(which === 'native' ? 'kernels: native (C++ addon, native/build/distil.node)' : `kernels: TypeScript fallback (${process.env.DISTIL_ENGINE === 'js' ? 'DISTIL_ENGINE=js' : nativeError()})`);
    return 0;
  },
};
export default version;
