// `{{name}}` templates in a rule's annotations (docs/rules.md, "Summary templates"), compiled when the rule
// loads so that an unknown name is an error then, not a blank in a 3 a.m. notification.
//
// Syntax: `{{name}}`, spaces allowed inside the braces (`{{ client_ip }}`); a name is letters, digits and `_`.
// A single `{` or `}` is ordinary text, and so is `}}` on its own. A `{{` that does not start a well-formed
// placeholder is an error (it is nearly always a typo such as `{{client ip}}` or `{{value}`), which means a
// literal `{{` cannot be written: no alert text needs one, and an escape syntax would be one more thing to get
// wrong. Every template accepted here renders the same way with src/alerts/summary.ts.

import { closestMatch } from '../config/suggest.js';
import type { IssueCollector } from '../config/validation.js';
import type { YamlPath } from '../config/yamlDocument.js';

export type TemplateValue = string | number | boolean | null | undefined;

export interface Template {
  /** the text as written */
  readonly source: string;
  /** the placeholder names it uses, in order of first use */
  readonly names: readonly string[];
  /** null and missing values render as empty text; numbers with at most 3 decimals */
  render(values: Readonly<Record<string, TemplateValue>>): string;
}

/** Names whose meaning depends on the rule type, with the types that provide them (for the error message). */
const TYPE_SPECIFIC: Readonly<Record<string, string>> = {
  zone: 'offhours',
  local_time: 'offhours',
  new_value: 'new_value',
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compiles `text`; each problem is added to `issues` at `path`. Returns null when the template has errors.
 * `allowed` is the set of names the rule provides (its group_by fields, value, bound, ...).
 */
export function compileTemplate(text: string, allowed: readonly string[], path: YamlPath, issues: IssueCollector): Template | null {
  const literals: string[] = [];
  const names: string[] = [];
  let ok = true;
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      issues.add(path, `\`{{\` at character ${open + 1} is never closed with \`}}\``);
      return null;
    }
    const name = text.slice(open + 2, close).trim();
    if (!NAME.test(name)) {
      issues.add(path, `\`${text.slice(open, close + 2)}\` is not a placeholder: write {{name}} with a name of letters, digits and _`);
      ok = false;
    } else if (!allowed.includes(name)) {
      issues.add(path, unknownNameMessage(name, allowed));
      ok = false;
    }
    literals.push(literal);
    literal = '';
    names.push(name);
    i = close + 2;
  }
  literals.push(literal);
  if (!ok) return null;
  return new CompiledTemplate(text, literals, names);
}

function unknownNameMessage(name: string, allowed: readonly string[]): string {
  const owner = TYPE_SPECIFIC[name];
  if (owner !== undefined) return `\`{{${name}}}\` is only available in ${owner} rules`;
  const hint = closestMatch(name, allowed);
  return `unknown name \`{{${name}}}\`${hint ? `; did you mean \`{{${hint}}}\`?` : ''} (available here: ${allowed.join(', ')})`;
}

class CompiledTemplate implements Template {
  readonly names: readonly string[];

  /** literals.length === placeholders.length + 1: text, name, text, name, ..., text */
  constructor(readonly source: string, private readonly literals: readonly string[], private readonly placeholders: readonly string[]) {
    this.names = [...new Set(placeholders)];
  }

  render(values: Readonly<Record<string, TemplateValue>>): string {
    let out = this.literals[0]!;
    for (let i = 0; i < this.placeholders.length; i++) {
      const name = this.placeholders[i]!;
      out += (Object.hasOwn(values, name) ? renderValue(values[name]) : '') + this.literals[i + 1]!;
    }
    return out;
  }
}

function renderValue(value: TemplateValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    // Ratios and rates: three decimals say enough, and 0.30000000000000004 says too much.
    return String(Math.round(value * 1000) / 1000);
  }
  return String(value);
}
