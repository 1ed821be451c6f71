// Readers for the three registry export formats: `mysql -B` output (tab-separated, mysql's backslash
// escapes, `NULL`), CSV (RFC 4180 quoting) and JSON (an array of objects). Each yields named records with
// the line they start on; what the values mean is registryFile.ts's business.
// Nothing here ever quotes a value in a message: a registry export is full of raw tokens.

import { extname } from 'node:path';

export type RegistryFormat = 'tsv' | 'csv' | 'json';
export type RawValue = string | number | boolean | null;

export interface RegistryIssue {
  /** 1-based line in the file (0 when the problem concerns the whole file) */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface RawRecord {
  line: number;
  values: ReadonlyMap<string, RawValue>;
}

export interface RawTable {
  format: RegistryFormat;
  /** column names in file order (for JSON: every key seen, in order of first appearance) */
  columns: string[];
  /** line of the first mention of each column (the header line for TSV/CSV) */
  columnLines: ReadonlyMap<string, number>;
  records: RawRecord[];
  issues: RegistryIssue[];
}

export function detectFormat(text: string, fileName: string): RegistryFormat {
  const ext = extname(fileName).toLowerCase();
  const start = text.search(/\S/);
  const first = start === -1 ? '' : text[start];
  if (first === '[' || first === '{' || ext === '.json') return 'json';
  const end = text.indexOf('\n');
  const header = end === -1 ? text : text.slice(0, end);
  if (header.includes('\t') || ext === '.tsv' || ext === '.tab') return 'tsv';
  if (header.includes(',') || ext === '.csv') return 'csv';
  return 'tsv';
}

export function readTable(text: string, fileName: string): RawTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const format = detectFormat(body, fileName);
  if (format === 'json') return readJson(body);
  return readDelimited(format === 'tsv' ? splitTsv(body) : splitCsv(body), format);
}

interface Row {
  line: number;
  fields: RawValue[];
}

interface Rows {
  rows: Row[];
  issues: RegistryIssue[];
}

function readDelimited(split: Rows, format: RegistryFormat): RawTable {
  const issues = [...split.issues];
  const [header, ...rows] = split.rows;
  if (header === undefined) {
    return { format, columns: [], columnLines: new Map(), records: [], issues: [...issues, fileError('the file is empty')] };
  }
  const columns = header.fields.map((f) => (typeof f === 'string' ? f.trim() : ''));
  const columnLines = new Map(columns.map((c) => [c, header.line]));
  const records: RawRecord[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      issues.push({
        line: row.line,
        severity: 'error',
        message:
          `${row.fields.length} fields, expected ${columns.length} (as in the header)` +
          (format === 'tsv' ? '; a tab inside a value must be written \\t' : ''),
      });
      continue;
    }
    const values = new Map<string, RawValue>();
    columns.forEach((name, i) => values.set(name, row.fields[i]!));
    records.push({ line: row.line, values });
  }
  return { format, columns, columnLines, records, issues };
}

/** `mysql -B`: one row per line, tab-separated, `\t \n \\ \0` escaped, SQL NULL written as `NULL`. */
function splitTsv(text: string): Rows {
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim().length === 0) continue;
    rows.push({ line: i + 1, fields: line.split('\t').map(tsvValue) });
  }
  return { rows, issues: [] };
}

const TSV_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', '\\': '\\', '0': '\0', b: '\b', Z: '\x1a' };

function tsvValue(field: string): RawValue {
  // `NULL` from mysql -B; `\N` from SELECT ... INTO OUTFILE.
  if (field === 'NULL' || field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_match, c: string) => TSV_ESCAPES[c] ?? c);
}

/** RFC 4180 CSV; quoted fields may hold commas, quotes (`""`) and newlines. Unquoted empty/NULL/\N is null. */
function splitCsv(text: string): Rows {
  const rows: Row[] = [];
  const issues: RegistryIssue[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: RawValue[] = [];
    let blank = true;
    for (;;) {
      let value: RawValue;
      if (text[i] === '"') {
        blank = false;
        const quoteLine = line;
        let out = '';
        i++;
        for (;;) {
          if (i >= n) {
            issues.push({ line: quoteLine, severity: 'error', message: 'a quoted field is never closed' });
            return { rows, issues };
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              out += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          out += c;
          i++;
        }
        value = out;
        // Anything between the closing quote and the next separator is not CSV; keep it rather than guess.
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
      } else {
        let end = i;
        while (end < n && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end++;
        const raw = text.slice(i, end);
        if (raw.trim().length > 0) blank = false;
        i = end;
        value = raw === '' || raw === 'NULL' || raw === '\\N' ? null : raw;
      }
      fields.push(value);
      if (i < n && text[i] === ',') {
        blank = false;
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
    }
    if (!blank) rows.push({ line: startLine, fields });
  }
  return { rows, issues };
}

function readJson(text: string): RawTable {
  const table: RawTable = { format: 'json', columns: [], columnLines: new Map(), records: [], issues: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message may quote the text around the error, which could be a token: report the position only.
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    const at = position ? lineAndColumn(text, Number(position[1])) : null;
    table.issues.push(
      at
        ? { line: at.line, severity: 'error', message: `invalid JSON at line ${at.line}, column ${at.column}` }
        : fileError('invalid JSON (the text ends too early or is not JSON)'),
    );
    return table;
  }
  if (!Array.isArray(parsed)) {
    table.issues.push({ line: 1, severity: 'error', message: 'expected a JSON array of objects, one per token' });
    return table;
  }
  const lines = topLevelElementLines(text);
  const columnLines = new Map<string, number>();
  parsed.forEach((element: unknown, index) => {
    const line = lines[index] ?? 0;
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      table.issues.push({ line, severity: 'error', message: `element ${index + 1} is not an object` });
      return;
    }
    const values = new Map<string, RawValue>();
    for (const [name, value] of Object.entries(element as Record<string, unknown>)) {
      if (!columnLines.has(name)) {
        columnLines.set(name, line);
        table.columns.push(name);
      }
      if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        values.set(name, value);
      } else {
        table.issues.push({ line, severity: 'error', message: `${name}: expected text, a number, a boolean or null` });
        values.set(name, null);
      }
    }
    table.records.push({ line, values });
  });
  return { ...table, columnLines };
}

/** Line on which each element of the top-level JSON array starts. */
function topLevelElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (depth === 1 && expectElement && c !== ']') {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return lines;
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

function fileError(message: string): RegistryIssue {
  return { line: 0, severity: 'error', message };
}
