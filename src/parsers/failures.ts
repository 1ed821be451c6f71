// Building ParseFailure values with details a person can act on: which field, what was expected, what
// was there (shortened; lines reach parsers with their secrets already masked).

import type { ParseFailure, RejectReason } from './types.js';

const MAX_SHOWN = 60;

export function failure(reason: RejectReason, detail: string): ParseFailure {
  return { ok: false, reason, detail };
}

/** A value quoted for a message, cut to a readable length, control characters escaped. */
export function showValue(value: string): string {
  const cut = value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) + '…' : value;
  return JSON.stringify(cut);
}

/** A literal separator quoted for a message: tabs and other controls escaped, in single quotes. */
export function showLiteral(literal: string): string {
  const json = JSON.stringify(literal);
  return "'" + json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'") + "'";
}
