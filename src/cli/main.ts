/**
 * Entry of the `distil` command. Subcommands are discovered from src/cli/commands/*.ts (each
 * default-exports a Command or an array of them), so adding one touches no shared file.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type Command } from './command.ts';
import { InputError } from '../util/errors.ts';

async function loadCommands(): Promise<Command[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const out: Command[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    const exported = mod.default as Command | Command[] | undefined;
    if (!exported) continue;
    out.push(...(Array.isArray(exported) ? exported : [exported]));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function usage(cmds: Command[]): string {
  const w = Math.max(...cmds.map((c) => c.name.length), 8);
  return [
    'distil: post-train language models from rich feedback',
    '',
    'Usage: distil <command> [options]    (distil <command> --help for details)',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ].join('\n');
}

/**
 * One line on stderr for an error that ends a command: its message (what is wrong, which file,
 * what to do). Bad input exits 2, a failure during the work 1. The stack trace only with
 * DISTIL_DEBUG=1: it is for distil's developers, not for fixing an input.
 */
export function reportError(command: string, err: unknown): number {
  const input = err instanceof InputError;
  const message = err instanceof Error ? err.message : String(err);
  const debug = !!process.env.DISTIL_DEBUG && process.env.DISTIL_DEBUG !== '0';
  const hint = err instanceof UsageError ? ` (see: distil ${command} --help)` : !input && !debug ? ' (DISTIL_DEBUG=1 shows where it happened)' : '';
  console.error(`distil ${command}: ${message}${hint}`);
  if (debug && err instanceof Error && err.stack) console.error(err.stack);
  return input ? 2 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const cmds = await loadCommands();
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage(cmds));
    return argv.length === 0 ? 2 : 0;
  }
  // Longest match first, so 'env sample' wins over 'env'.
  const byLength = [...cmds].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const cmd of byLength) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) {
      const rest = argv.slice(words.length);
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(cmd.help);
        return 0;
      }
      try {
        return await cmd.run(rest);
      } catch (err) {
        return reportError(cmd.name, err);
      }
    }
  }
  console.error(`distil: unknown command '${argv.join(' ')}'\n\n${usage(cmds)}`);
  return 2;
}
