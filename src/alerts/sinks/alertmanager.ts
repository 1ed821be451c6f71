// Destination `alertmanager`: Alertmanager's API v2 (POST /api/v2/alerts, a JSON array of alerts). Alertmanager
// keeps one state per alert (its label set), so phabwatch follows its client rules: every firing alert is sent
// again every `resend`, with an `endsAt` four resends ahead (a missed resend never resolves it by mistake, yet a
// dead agent's alerts do end), and a resolve is sent explicitly with the time it ended, and again on the next
// re-sends for a while (the delivery loop picks which), so a restarted Alertmanager still notifies it. Labels
// are the rule id (alertname), the severity, the group values and the rule's labels, all low-cardinality; the
// observed value and the evidence go into annotations.

import type { AlertmanagerSinkConfig } from '../../config/types.js';
import type { Logger } from '../../model/logger.js';
import type { DeliveryTraits } from './deliveryTraits.js';
import { HttpClient } from './httpClient.js';
import { alertUrl, compactEvidence, isoTime, runbookUrl } from './notificationText.js';
import type { AlertNotification, AlertSink, DeliveryResult } from './sink.js';

/** endsAt of a firing alert, in resend intervals ahead of now */
export const ENDS_AT_RESENDS = 4;
/** alerts per request when re-sending */
const RESEND_CHUNK = 200;
const API_PATH = '/api/v2/alerts';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One element of the POST /api/v2/alerts body. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface AlertmanagerOptions {
  externalUrl: string | null;
  logger: Logger;
  /** wall clock (Alertmanager works on its own clock, not event time) */
  now?: () => number;
  http?: HttpClient;
}

/** Alertmanager accepts label names of [a-zA-Z_][a-zA-Z0-9_]* only; anything else is rewritten, not refused. */
export function labelName(name: string): string {
  if (LABEL_NAME.test(name)) return name;
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) || cleaned === '' ? `_${cleaned}` : cleaned;
}

/**
 * The Alertmanager form of an alert, as a firing one (`resolvedAt` null) or as resolved at `resolvedAt`.
 * startsAt/endsAt come from event time, but Alertmanager judges them on its own clock: a time ahead of the wall
 * clock (a skewed host, future-dated logs) is brought back to now, or a resolved alert would stay active.
 */
export function alertmanagerAlert(
  alert: AlertNotification['alert'], resolvedAt: number | null, now: number, resendMs: number, externalUrl: string | null,
): AlertmanagerAlert {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(alert.labels)) if (value !== '') labels[labelName(name)] = value;
  labels.alertname = alert.ruleId;
  labels.severity = alert.severity;

  const annotations: Record<string, string> = {};
  for (const [name, value] of Object.entries(alert.annotations)) if (value !== null && value !== '') annotations[labelName(name)] = value;
  annotations.summary = alert.summary;
  const runbook = runbookUrl(alert.annotations.runbook_url, externalUrl);
  if (runbook) annotations.runbook_url = runbook;
  else delete annotations.runbook_url;
  if (alert.evidence.value !== null) annotations.value = String(alert.evidence.value);
  annotations.evidence = JSON.stringify(compactEvidence(alert));
  annotations.alert_id = String(alert.id);

  const startsAt = Math.min(alert.firedAt ?? alert.startedAt, now);
  const endsAt = resolvedAt === null ? Math.max(now, startsAt) + ENDS_AT_RESENDS * resendMs : Math.max(startsAt, Math.min(resolvedAt, now));
  return {
    labels, annotations, startsAt: isoTime(startsAt)!, endsAt: isoTime(endsAt)!, generatorURL: alertUrl(alert.id, externalUrl),
  };
}

/** The Alertmanager body for a batch of notifications: firing and renotify as active alerts, resolved as ended. */
export function alertmanagerBody(batch: readonly AlertNotification[], now: number, resendMs: number, externalUrl: string | null): AlertmanagerAlert[] {
  return batch.map((n) => alertmanagerAlert(n.alert, n.kind === 'resolved' ? n.at : null, now, resendMs, externalUrl));
}

export class AlertmanagerSink implements AlertSink, DeliveryTraits {
  readonly name = 'alertmanager';
  readonly maxBatch = 100;
  readonly oneNotificationPerAlert = true;
  readonly tickEveryMs: number;
  private readonly endpoint: string;
  private readonly http: HttpClient;
  private readonly now: () => number;
  private resendFailing = false;

  constructor(private readonly config: AlertmanagerSinkConfig, private readonly options: AlertmanagerOptions) {
    this.endpoint = config.url.endsWith(API_PATH) ? config.url : `${config.url}${API_PATH}`;
    this.http = options.http ?? new HttpClient();
    this.now = options.now ?? Date.now;
    this.tickEveryMs = config.resend_ms;
  }

  async deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult> {
    return this.post(alertmanagerBody(batch, this.now(), this.config.resend_ms, this.options.externalUrl));
  }

  /**
   * Re-sends the alerts it is given: firing ones, so Alertmanager keeps them active (and learns them again after
   * a restart), and recently resolved ones (state `resolved`), so a restarted Alertmanager still sends their resolve.
   */
  async tick(alerts: readonly AlertNotification['alert'][], now: number = this.now()): Promise<void> {
    for (let i = 0; i < alerts.length; i += RESEND_CHUNK) {
      const body = alerts.slice(i, i + RESEND_CHUNK)
        .map((a) => alertmanagerAlert(a, a.state === 'resolved' ? a.endedAt : null, now, this.config.resend_ms, this.options.externalUrl));
      const result = await this.post(body);
      if (!result.ok) {
        if (!this.resendFailing) this.options.logger.warn({ sink: this.name, error: result.error }, 'alertmanager: re-sending the alerts failed; trying again every resend interval');
        this.resendFailing = true;
        return;
      }
    }
    if (this.resendFailing) this.options.logger.info({ sink: this.name, alerts: alerts.length }, 'alertmanager: alerts re-sent again');
    this.resendFailing = false;
  }

  async close(): Promise<void> {
    this.http.close();
  }

  private async post(body: AlertmanagerAlert[]): Promise<DeliveryResult> {
    const verdict = await this.http.postJson(this.endpoint, JSON.stringify(body), { headers: this.config.headers });
    if (verdict.ok) return { ok: true };
    return { ok: false, retryable: verdict.retryable, error: verdict.error };
  }
}
