// `phabwatch query SQL`: run one read-only SQL statement against the store while the agent keeps writing
// (WAL lets readers and the writer work at the same time). Output: an aligned table, CSV or JSON.

import { resolve } from 'node:path';
import { describeSqliteError, openStoreReadOnly } from '../store/database.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { resolveConfig } from './configResolver.js';
import { renderCsv, renderTable, toJson, type Row } from './output.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  csv: { type: 'boolean' },
  json: { type: 'boolean' },
  store: { type: 'string' },
  'max-width': { type: 'string' },
} as const;

export const queryCommand: Command = {
  name: 'query',
  summary: 'run a read-only SQL query against the store',
  usage: `phabwatch query [--config FILE] [--store FILE] [--csv | --json] SQL

Runs one SQL statement on a read-only connection (the agent keeps writing meanwhile). Tables and views are
documented in docs/schema.md, e.g.:
  phabwatch query "SELECT time, client_ip, conduit_method FROM token_timeline WHERE token_hint = 'api-abcd…'"

  --csv           CSV with a header line
  --json          a JSON array of objects
  --max-width N   cut table cells at N characters (default 60)`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one SQL statement (quote it)');
    if (values.csv && values.json) throw new UsageError('choose one of --csv and --json');
    const storePath = values.store ? resolve(values.store) : resolveConfig(values.config).config.store.path;
    const db = openStoreReadOnly(storePath);
    try {
      let statement;
      try {
        statement = db.prepare(positionals[0]!);
      } catch (err) {
        throw new UsageError(`SQL: ${describeSqliteError(err)}`);
      }
      if (!statement.reader) throw new UsageError('only statements that return rows (SELECT, WITH, PRAGMA ...) are allowed: the store is read-only here');
      const columns = statement.columns().map((c) => c.name);
      let rows: Row[];
      try {
        rows = statement.all() as Row[];
      } catch (err) {
        throw new UsageError(`SQL: ${describeSqliteError(err)}`);
      }
      if (values.json) process.stdout.write(`${toJson(rows)}\n`);
      else if (values.csv) process.stdout.write(`${renderCsv(columns, rows)}\n`);
      else {
        const width = values['max-width'] ? Number(values['max-width']) : 60;
        if (!Number.isInteger(width) || width < 4) throw new UsageError('--max-width: expected a whole number >= 4');
        process.stdout.write(`${renderTable(columns, rows, width)}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
      }
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};
