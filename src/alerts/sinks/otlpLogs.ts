// Alert sink `otlp-logs`: every notification (firing, resolved, renotify) becomes an OTLP log record (docs/metrics.md,
// "Logs"); a `firing` one also emits the alert's span, linked to its sample requests. A delivery counts as done
// only when the collector accepted the records, so the outbox retries the rest.

import { SeverityNumber, type LogAttributes } from '@opentelemetry/api-logs';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { Severity } from '../../rules/model.js';
import type { AlertTelemetryChannel, Telemetry } from '../../telemetry/setup.js';
import type { AlertNotification, AlertSink, DeliveryResult } from './sink.js';

const SEVERITY: Readonly<Record<Severity, { number: SeverityNumber; text: string }>> = {
  info: { number: SeverityNumber.INFO, text: 'INFO' },
  warning: { number: SeverityNumber.WARN, text: 'WARN' },
  critical: { number: SeverityNumber.ERROR, text: 'ERROR' },
};

/** The OTLP-logs sink, or null when OTLP logs are not exported (telemetry.otlp.logs off, or no OTLP at all). */
export function createOtlpLogsSink(telemetry: Telemetry): AlertSink | null {
  const channel = telemetry.alertChannel();
  return channel === null ? null : new OtlpLogsSink(channel);
}

export class OtlpLogsSink implements AlertSink {
  readonly name = 'otlp-logs';

  constructor(private readonly channel: AlertTelemetryChannel, private readonly now: () => number = Date.now) {}

  async deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult> {
    for (const n of batch) {
      if (n.kind === 'firing') this.channel.emitAlertSpan(n.alert, n.at);
      const severity = SEVERITY[n.alert.severity];
      this.channel.emitLog({
        eventName: 'phabwatch.alert',
        timestamp: n.at,
        observedTimestamp: this.now(),
        severityNumber: severity.number,
        severityText: severity.text,
        body: n.alert.summary,
        attributes: attributesOf(n),
        // Carries the alert span's ids, so a backend can go from the record to the span and its samples.
        context: trace.setSpanContext(ROOT_CONTEXT, this.channel.alertSpanContext(n.alert)),
      });
    }
    const result = await this.channel.exportLogs();
    if (result.code === ExportResultCode.SUCCESS) return { ok: true };
    return { ok: false, retryable: true, error: `OTLP log export failed: ${result.error?.message ?? 'unknown error'}` };
  }
}

function attributesOf(n: AlertNotification): LogAttributes {
  const a = n.alert;
  const attributes: LogAttributes = {
    'phabwatch.rule_id': a.ruleId,
    'phabwatch.alert_id': a.id,
    'phabwatch.transition': n.kind,
    'phabwatch.notification_id': n.id,
    'phabwatch.severity': a.severity,
    'phabwatch.state': a.state,
    'phabwatch.started_at': new Date(a.startedAt).toISOString(),
  };
  if (a.endedAt !== null) attributes['phabwatch.ended_at'] = new Date(a.endedAt).toISOString();
  if (a.annotations.runbook_url) attributes['phabwatch.runbook_url'] = a.annotations.runbook_url;
  for (const [name, value] of Object.entries(a.labels)) attributes[`phabwatch.label.${name}`] = value;
  return attributes;
}
