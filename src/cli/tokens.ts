// `phabwatch tokens import FILE`: load a token registry export (conduit_token + user) into the store.
// Only keyed fingerprints are stored; the raw tokens in the file are read and forgotten.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRegistryFile } from '../attribution/registryFile.js';
import { openStore, readHmacKey } from '../store/database.js';
import { importRegistry } from '../store/registryStore.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { resolveConfig } from './configResolver.js';
import { toJson } from './output.js';

const OPTIONS = { ...COMMON_OPTIONS, json: { type: 'boolean' }, store: { type: 'string' } } as const;

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'import the token registry (tokens import FILE)',
  usage: `phabwatch tokens import [--config FILE] [--store FILE] [--json] FILE

FILE is the output of a query like the one in docs/tokens.md, as tab-separated \`mysql -B\` output, CSV or
JSON, with the columns: token tokenType tokenName expires objectPHID userName isSystemAgent isAdmin isDisabled
(tokenName optional). The import replaces the previous registry; a running agent picks it up within seconds.
Raw tokens are fingerprinted with the store's key and never stored.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const [sub, file, ...extra] = positionals;
    if (sub !== 'import') throw new UsageError(sub === undefined ? 'expected a subcommand: tokens import FILE' : `unknown subcommand "${sub}": expected tokens import FILE`);
    if (file === undefined || extra.length > 0) throw new UsageError('expected exactly one FILE: tokens import FILE');
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      process.stderr.write(`phabwatch: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      return EXIT.failed;
    }
    const storePath = values.store ? resolve(values.store) : resolveConfig(values.config).config.store.path;
    const db = openStore(storePath);
    try {
      const parsed = parseRegistryFile(text, file, readHmacKey(db), Date.now());
      for (const e of parsed.errors) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
      if (parsed.tokens.length === 0) {
        process.stderr.write(`phabwatch: ${file}: no usable token rows; the registry was not changed\n`);
        return EXIT.failed;
      }
      const summary = importRegistry(db, { tokens: parsed.tokens, identities: parsed.identities });
      const report = { file, ...summary, problems: parsed.errors.length, store: storePath };
      if (values.json) process.stdout.write(`${toJson(report)}\n`);
      else {
        process.stdout.write(
          `imported ${summary.tokens} tokens and ${summary.identities} identities into ${storePath}` +
            `${summary.removedTokens ? ` (${summary.removedTokens} tokens no longer in the registry)` : ''}` +
            `${parsed.errors.length ? `; ${parsed.errors.length} rows had problems (see above)` : ''}\n`,
        );
      }
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};
