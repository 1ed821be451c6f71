// Small pieces of text every destination shows the same way: times, labels, links, and the compact evidence.

import type { AlertNotification } from './sink.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

/** ISO 8601 UTC without milliseconds when they are zero (2026-11-24T07:12:32Z). */
export function isoTime(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Text that came from log lines (labels, summaries) can hold control characters; on a terminal or in a chat
 * message they would garble the output (or move the cursor), so they are shown escaped.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(' ');
}

export function isAbsoluteUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/** A runbook path from a rule (docs/runbooks/x.md) made absolute under external_url when there is one. */
export function runbookUrl(runbook: string | null | undefined, externalUrl: string | null): string | null {
  if (!runbook) return null;
  if (isAbsoluteUrl(runbook) || externalUrl === null) return runbook;
  return `${trimSlash(externalUrl)}/${runbook.replace(/^\/+/, '')}`;
}

/** Where the alert can be looked at: external_url/alerts/ID, or a phabwatch:// URL naming it when there is none. */
export function alertUrl(alertId: number, externalUrl: string | null): string {
  return externalUrl === null ? `phabwatch://alerts/${alertId}` : `${trimSlash(externalUrl)}/alerts/${alertId}`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The evidence in a few fields: what was observed against what, over which window, and how much backs it. */
export function compactEvidence(alert: AlertNotification['alert']): Record<string, unknown> {
  const e = alert.evidence;
  const out: Record<string, unknown> = { value: e.value, bound: e.bound };
  if (e.window) out.window = `${e.window.start}/${e.window.end}`;
  if (typeof e.details.window === 'string') out.window_length = e.details.window;
  out.first = e.first_event_at;
  out.last = e.last_event_at;
  out.matched_events = e.matched_events;
  out.late_events = e.late_events;
  out.samples = alert.samples.length;
  return out;
}
