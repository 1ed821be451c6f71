// Destination `webhook:N` (N: the position in alerts.webhooks, from 0): one POST per notification, either
// phabwatch's JSON (format: json) with the notification id as idempotency key, or a Slack-compatible
// `{ "text": ... }` message (format: slack; Mattermost and Rocket.Chat incoming webhooks take it too).
// Any 2xx is delivered; 5xx, 408, 429 and network errors are retried; other answers mean the request
// itself is wrong, so it is dropped (and logged) rather than retried for ever.

import type { WebhookSinkConfig } from '../../config/types.js';
import type { DeliveryTraits } from './deliveryTraits.js';
import { HttpClient } from './httpClient.js';
import { alertUrl, isAbsoluteUrl, isoTime, printable, runbookUrl } from './notificationText.js';
import type { AlertNotification, AlertSink, DeliveryResult } from './sink.js';

export const WEBHOOK_PAYLOAD_VERSION = 1;

/** The JSON a `format: json` webhook receives. */
export interface WebhookPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  /** the notification id: the same notification delivered again carries the same id */
  id: number;
  kind: AlertNotification['kind'];
  /** event time of the transition */
  at: string;
  alert: {
    id: number;
    rule_id: string;
    severity: string;
    /** the alert's state now (a `firing` notification may be read after the alert resolved) */
    state: string;
    labels: Record<string, string>;
    summary: string;
    annotations: Record<string, string | null>;
    started_at: string;
    fired_at: string | null;
    ended_at: string | null;
    url: string;
    evidence: AlertNotification['alert']['evidence'];
  };
  /** sample events with their raw lines, secrets masked */
  samples: { event_id: number; time: string; source: string; raw: string }[];
}

export function webhookPayload(n: AlertNotification, externalUrl: string | null): WebhookPayload {
  const a = n.alert;
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    id: n.id,
    kind: n.kind,
    at: isoTime(n.at)!,
    alert: {
      id: a.id, rule_id: a.ruleId, severity: a.severity, state: a.state, labels: a.labels, summary: a.summary,
      // The summary annotation as the alert says it now (the stored one was rendered when the alert opened).
      annotations: { ...a.annotations, summary: a.summary, runbook_url: runbookUrl(a.annotations.runbook_url, externalUrl) },
      started_at: isoTime(a.startedAt)!, fired_at: isoTime(a.firedAt), ended_at: isoTime(a.endedAt),
      url: alertUrl(a.id, externalUrl), evidence: a.evidence,
    },
    samples: a.samples.map((s) => ({ event_id: s.eventId, time: isoTime(s.ts)!, source: s.source, raw: s.raw })),
  };
}

const SLACK_HEAD: Record<AlertNotification['kind'], string> = {
  firing: ':red_circle: *FIRING*',
  resolved: ':large_green_circle: *RESOLVED*',
  renotify: ':repeat: *STILL FIRING*',
};

/** Slack's mrkdwn reserves &, < and > (links are <url|text>). */
function slackEscape(text: string): string {
  return printable(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackLink(url: string | null, text: string): string {
  if (url === null) return '';
  return /^https?:\/\//i.test(url) ? `<${url.replace(/[<>|]/g, encodeURIComponent)}|${text}>` : `${text}: ${slackEscape(url)}`;
}

/** A readable chat message: what happened to which rule, the summary, then labels, times and links. */
export function slackText(n: AlertNotification, externalUrl: string | null): string {
  const a = n.alert;
  const head = `${SLACK_HEAD[n.kind]} ${a.severity} \`${slackEscape(a.ruleId)}\``;
  const facts = Object.entries(a.labels).map(([k, v]) => `${slackEscape(k)}=${slackEscape(v)}`);
  const when = n.kind === 'resolved'
    ? `resolved ${isoTime(n.at)} (fired ${isoTime(a.firedAt ?? a.startedAt)})`
    : `fired ${isoTime(a.firedAt ?? n.at)}`;
  facts.push(when);
  const url = alertUrl(a.id, externalUrl);
  facts.push(isAbsoluteUrl(url) && /^https?:/i.test(url) ? slackLink(url, `alert ${a.id}`) : `alert ${a.id}`);
  const runbook = runbookUrl(a.annotations.runbook_url, externalUrl);
  if (runbook) facts.push(slackLink(runbook, 'runbook'));
  return `${head}\n${slackEscape(a.summary)}\n${facts.join(' · ')}`;
}

export class WebhookSink implements AlertSink, DeliveryTraits {
  readonly name: string;
  /** one request per notification: a failure never makes an already delivered one look undelivered */
  readonly maxBatch = 1;
  private readonly http: HttpClient;

  constructor(index: number, private readonly config: WebhookSinkConfig, private readonly externalUrl: string | null, http?: HttpClient) {
    this.name = `webhook:${index}`;
    this.http = http ?? new HttpClient();
  }

  async deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult> {
    for (const n of batch) {
      const body = this.config.format === 'slack' ? { text: slackText(n, this.externalUrl) } : webhookPayload(n, this.externalUrl);
      const verdict = await this.http.postJson(this.config.url, JSON.stringify(body), { headers: this.config.headers });
      if (!verdict.ok) return { ok: false, retryable: verdict.retryable, error: verdict.error };
    }
    return { ok: true };
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
