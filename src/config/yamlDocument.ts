// Parses YAML while keeping where each value came from, so that validation errors can say
// "file:line:column" for the exact key or value at fault.

import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';

export type YamlPath = readonly (string | number)[];

export interface SourcePosition {
  line: number;
  column: number;
}

export interface LoadedYaml {
  value: unknown;
  /** position of the key (for object members) or the value (for list items) at `path` */
  positionOf(path: YamlPath): SourcePosition | null;
}

export interface YamlSyntaxError {
  message: string;
  position: SourcePosition | null;
}

export function loadYaml(text: string): { ok: true; doc: LoadedYaml } | { ok: false; errors: YamlSyntaxError[] } {
  const lineCounter = new LineCounter();
  const document = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((e) => {
        const at = e.pos?.[0];
        const pos = at === undefined ? null : lineCounter.linePos(at);
        // yaml's messages end with a code excerpt; the first line is the explanation.
        return { message: e.message.split('\n')[0] ?? e.message, position: pos ? { line: pos.line, column: pos.col } : null };
      }),
    };
  }
  const positions = new Map<string, SourcePosition>();
  const record = (path: YamlPath, node: Node | null | undefined): void => {
    const start = node?.range?.[0];
    if (start !== undefined) {
      const pos = lineCounter.linePos(start);
      positions.set(pathKey(path), { line: pos.line, column: pos.col });
    }
  };
  const walk = (node: unknown, path: YamlPath): void => {
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const childPath = [...path, key];
        record(childPath, isScalar(keyNode) ? keyNode : (item.value as Node | null));
        walk(item.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const childPath = [...path, index];
        record(childPath, item as Node);
        walk(item, childPath);
      });
    }
  };
  record([], document.contents as Node | null);
  walk(document.contents, []);
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  return {
    ok: true,
    doc: {
      value,
      positionOf(path) {
        // Fall back to the nearest ancestor that has a position (e.g. a missing key: point at its object).
        for (let n = path.length; n >= 0; n--) {
          const hit = positions.get(pathKey(path.slice(0, n)));
          if (hit) return hit;
        }
        return null;
      },
    },
  };
}

export function pathKey(path: YamlPath): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}
