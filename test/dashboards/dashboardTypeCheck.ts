// Type-checks dashboard JSON against @grafana/schema's `Dashboard` type: each dashboard is written into a
// TypeScript file as `<literal> satisfies Dashboard` and compiled (strict, no emit) with the TypeScript compiler
// API. Importing the .json directly would widen every string and report false errors.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Grafana's types declare a few fields as string enums (thresholds mode, colour mode, value mapping type), to which
 * a JSON string never type-checks. At exactly those places the literal is wrapped in `enumMember<Enum, "value">(...)`,
 * which only compiles when "value" is one of the enum's values: the check stays as strict as the schema.
 */
const ENUM_FIELDS: readonly { path: RegExp; enumName: string }[] = [
  { path: /(^|\.)fieldConfig\.defaults\.thresholds\.mode$/, enumName: 'ThresholdsMode' },
  { path: /(^|\.)fieldConfig\.defaults\.color\.mode$/, enumName: 'FieldColorModeId' },
  { path: /(^|\.)fieldConfig\.defaults\.mappings\.\d+\.type$/, enumName: 'MappingType' },
];

const PRELUDE = `import type { Dashboard, ThresholdsMode, FieldColorModeId, MappingType } from '@grafana/schema';
declare function enumMember<E extends string, V extends \`\${E}\`>(value: V): Extract<E, V>;
`;

/** TypeScript source for a JSON value, with the enum-typed fields rewritten as described above. */
export function toTypeScriptLiteral(value: unknown, path = '', indent = ''): string {
  if (typeof value === 'string') {
    const field = ENUM_FIELDS.find((f) => f.path.test(path));
    return field ? `enumMember<${field.enumName}, ${JSON.stringify(value)}>(${JSON.stringify(value)})` : JSON.stringify(value);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v, i) => `${inner}${toTypeScriptLiteral(v, `${path}.${i}`, inner)}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const key = (k: string): string => (path === '' ? k : `${path}.${k}`);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toTypeScriptLiteral(v, key(k), inner)}`).join(',\n')}\n${indent}}`;
}

export interface TypeCheckInput {
  /** file-name-safe label, e.g. "phabwatch-operations" */
  name: string;
  dashboard: unknown;
}

/** Compiler diagnostics per input name (an empty list: the dashboard satisfies `Dashboard`). */
export function typeCheckDashboards(repoRoot: string, inputs: readonly TypeCheckInput[]): Map<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-dash-types-'));
  const link = join(dir, 'node_modules');
  let linked = false;
  try {
    // The check files live outside the repository; a node_modules link lets them resolve @grafana/schema.
    symlinkSync(join(repoRoot, 'node_modules'), link, 'dir');
    linked = true;
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    mkdirSync(join(dir, 'check'));
    const files = new Map<string, string>();
    for (const input of inputs) {
      const file = join(dir, 'check', `${input.name}.ts`);
      writeFileSync(file, `${PRELUDE}\nexport const dashboard = ${toTypeScriptLiteral(input.dashboard)} satisfies Dashboard;\n`);
      files.set(file, input.name);
    }
    const program = ts.createProgram([...files.keys()], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    });
    const result = new Map<string, string[]>(inputs.map((i) => [i.name, []]));
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const name = d.file ? files.get(d.file.fileName) : undefined;
      const where = d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      if (name === undefined) {
        // A problem outside the check files (a missing @grafana/schema, say) must fail every input, not vanish.
        for (const list of result.values()) list.push(`(global) ${message}`);
      } else {
        result.get(name)!.push(`${where}${message}`);
      }
    }
    return result;
  } finally {
    // Unlink first, so that removing the folder can never walk into the repository's node_modules.
    if (linked) unlinkSync(link);
    rmSync(dir, { recursive: true, force: true });
  }
}
