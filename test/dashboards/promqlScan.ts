// A light scan of the PromQL the dashboards use: which series, which label matchers, which grouping labels and
// which range windows. Not a parser: enough to check the dashboards against the metric catalogue.

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface SeriesSelector {
  metric: string;
  matchers: LabelMatcher[];
}

export interface QueryScan {
  selectors: SeriesSelector[];
  /** labels named in `by (...)` / `without (...)` clauses */
  groupingLabels: string[];
  /** what stands inside every `[...]` range */
  rangeWindows: string[];
}

const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;
const RANGE = /\[([^\]]+)\]/g;
const SELECTOR_WITH_MATCHERS = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
/** An identifier not followed by `(` (which would make it a function or aggregation). */
const BARE_IDENTIFIER = /\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g;
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool']);

export function scanQuery(expr: string): QueryScan {
  const groupingLabels = [...expr.matchAll(GROUPING)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()).filter((l) => l !== ''));
  const rangeWindows = [...expr.matchAll(RANGE)].map((m) => m[1]!.trim());
  // What is left once groupings and ranges are gone holds only series, functions, numbers and operators.
  let rest = expr.replace(GROUPING, ' ').replace(RANGE, ' ');
  const selectors: SeriesSelector[] = [];
  rest = rest.replace(SELECTOR_WITH_MATCHERS, (_all, metric: string, body: string) => {
    const matchers = [...body.matchAll(MATCHER)].map((mm) => ({ label: mm[1]!, op: mm[2] as LabelMatcher['op'], value: mm[3]! }));
    selectors.push({ metric, matchers });
    return ' ';
  });
  for (const m of rest.matchAll(BARE_IDENTIFIER)) {
    if (!KEYWORDS.has(m[1]!)) selectors.push({ metric: m[1]!, matchers: [] });
  }
  return { selectors, groupingLabels, rangeWindows };
}

/** `{{label}}` names in a legend template. */
export function legendLabels(legendFormat: string): string[] {
  return [...legendFormat.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
}

/** The literal alternatives of a matcher value (`a|b` -> [a, b]); null when it is a real regular expression or a variable. */
export function literalAlternatives(matcher: LabelMatcher): string[] | null {
  if (matcher.value.includes('$')) return null;
  const alternatives = matcher.op === '=~' || matcher.op === '!~' ? matcher.value.split('|') : [matcher.value];
  return alternatives.every((a) => /^[a-zA-Z0-9_:.-]+$/.test(a)) ? alternatives : null;
}
