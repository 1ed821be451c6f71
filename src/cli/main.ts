// phabwatch's command line: dispatches to one file per command and turns errors into clear messages and
// exit codes (2 for usage and configuration problems, 1 when a command could not do its job).

import { CommitGaveUpError } from '../pipeline/ingestor.js';
import { StoreError } from '../store/database.js';
import { EXIT, UsageError, type Command } from './command.js';
import { alertsCommand } from './alerts.js';
import { doctorCommand } from './doctor.js';
import { queryCommand } from './query.js';
import { replayCommand } from './replay.js';
import { rulesCommand } from './rules.js';
import { runCommand } from './run.js';
import { tokensCommand } from './tokens.js';

const COMMANDS: readonly Command[] = [runCommand, replayCommand, queryCommand, alertsCommand, rulesCommand, tokensCommand, doctorCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: phabwatch <command> [options]',
    '',
    'Watches a Phabricator/Phorge installation through its logs.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --config FILE (default ./phabwatch.yaml) and --help.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    process.stdout.write('phabwatch 0.1.0\n');
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`phabwatch: unknown command "${name}"\n\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`phabwatch ${command.name}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof StoreError || err instanceof CommitGaveUpError) {
      process.stderr.write(`phabwatch ${command.name}: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`phabwatch: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = EXIT.failed;
  },
);
