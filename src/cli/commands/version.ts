import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';

const version: Command = {
  name: 'version',
  summary: 'Print the distil version and which kernels are in use',
  help: 'Usage: distil version\n\nPrints the package version.',
  async run() {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    console.log(`distil ${pkg.version}`);
    return 0;
  },
};
export default version;
