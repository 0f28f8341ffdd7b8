/** `distil ui`: a local web page that follows run folders live. */
import { existsSync, statSync } from 'node:fs';
import { startUi } from '../../ui/server.ts';
import { parseArgs, str } from '../args.ts';
import { UsageError, type Command } from '../command.ts';

const HELP = `Usage: distil ui [RUNS...] [--port P] [--host H]

Opens a local dashboard over run folders (default: runs/): the runs with their status and
progress, learning curves of any metric that update while metrics.jsonl and eval.jsonl grow,
several runs overlaid, the teacher gate, rollouts with each token shaded by how much teacher
and student disagreed, and the checkpoints. RUNS are run folders or folders holding them
(e.g. a comparison's output); new runs appearing under them are picked up.

It only reads the folders. It listens on 127.0.0.1 (this machine only) unless --host says
otherwise; the port is 6006 unless --port says (0 picks a free one). Ctrl-C stops it.

Examples:
  distil ui runs/distil-math-seed1
  distil ui runs/compare-2024 --port 8080`;

const command: Command = {
  name: 'ui',
  summary: 'Watch runs live in the browser: curves, gate, rollouts, checkpoints',
  help: HELP,
  async run(argv) {
    const a = parseArgs(argv, ['port', 'host'], []);
    const paths = a.positional.length ? a.positional : ['runs'];
    for (const p of paths) {
      if (!existsSync(p) || !statSync(p).isDirectory()) throw new UsageError(`${p}: no such folder (give run folders, or folders holding them)`);
    }
    const portText = str(a.flags, 'port');
    const port = portText === undefined ? 6006 : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${portText}: expected a port number 0-65535`);
    let ui;
    try {
      ui = await startUi({ paths, port, host: str(a.flags, 'host') });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; pick another with --port P (or --port 0 for any free one)`);
      throw e;
    }
    const n = ui.store.runs.length;
    console.log(`distil ui: ${n} run folder(s) under ${paths.join(', ')}; open ${ui.url}  (Ctrl-C to stop)`);
    for (const p of ui.store.problems) console.log(`  note: ${p.message}`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void ui.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
export default command;
