// Reads annotated fixture logs (fail2ban style): every log line is preceded by `# expect: {json}`;
// `# format: ...` and `# timezone: ...` switch the parser for the lines below; other `#` lines are comments.

import { readFileSync } from 'node:fs';

export interface FixtureCase {
  file: string;
  /** 1-based line number of the log line */
  lineNumber: number;
  line: string;
  /** null: the type's default format */
  format: string | null;
  timezone: string;
  expect: Record<string, unknown>;
}

const EXPECT = '# expect: ';
const FORMAT = '# format: ';
const TIMEZONE = '# timezone: ';

export function readFixtureCases(path: string): FixtureCase[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const cases: FixtureCase[] = [];
  let format: string | null = null;
  let timezone = 'UTC';
  let pending: { expect: Record<string, unknown>; lineNumber: number } | null = null;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.startsWith(EXPECT)) {
      if (pending !== null) throw new Error(`${path}:${lineNumber}: two expectations without a log line between them`);
      const parsed: unknown = JSON.parse(line.slice(EXPECT.length));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error(`${path}:${lineNumber}: an expectation must be a JSON object`);
      }
      pending = { expect: parsed as Record<string, unknown>, lineNumber };
    } else if (line.startsWith(FORMAT)) {
      const value = line.slice(FORMAT.length);
      format = value === 'default' ? null : value;
    } else if (line.startsWith(TIMEZONE)) {
      timezone = line.slice(TIMEZONE.length).trim();
    } else if (line.startsWith('#') || line.trim() === '') {
      // comment or spacing
    } else {
      if (pending === null) throw new Error(`${path}:${lineNumber}: log line without a '# expect:' line before it`);
      cases.push({ file: path, lineNumber, line, format, timezone, expect: pending.expect });
      pending = null;
    }
  });
  if (pending !== null) throw new Error(`${path}: the last expectation has no log line`);
  return cases;
}
