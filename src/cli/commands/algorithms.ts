/** `distil algorithms`: the registered algorithms and their options. */
import { algorithmNames, getAlgorithm } from '../../algorithms/registry.ts';
import { describeSchema } from '../../util/schema.ts';
import type { Command } from '../command.ts';

const command: Command = {
  name: 'algorithms',
  summary: 'List the algorithms and their options',
  help: 'Usage: distil algorithms [NAME]\n\nLists every algorithm with its options and defaults (or one, by name).',
  async run(argv) {
    const names = argv.length ? argv : algorithmNames();
    for (const n of names) {
      const e = getAlgorithm(n);
      console.log(`${n}: ${e.summary}`);
      if (Object.keys(e.options).length) console.log(describeSchema(e.options));
      console.log('');
    }
    return 0;
  },
};
export default command;
