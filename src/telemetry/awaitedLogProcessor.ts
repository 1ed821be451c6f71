// The log record processor of the alert log records. Unlike the SDK's batch processor, which exports in the
// background and forgets failures, it lets the otlp-logs sink export the records of one delivery and learn
// whether the collector accepted them, so the delivery outbox can retry (at-least-once) instead of losing an alert.

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { ExportHealth } from './exportHealth.js';

/** Records emitted and not yet taken by a delivery; beyond this they are dropped (and counted). */
const MAX_PENDING = 10_000;

export class AwaitedLogRecordProcessor implements LogRecordProcessor {
  private pending: SdkLogRecord[] = [];
  private closed = false;

  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly health: ExportHealth,
    private readonly timeoutMs: number,
  ) {}

  onEmit(record: SdkLogRecord): void {
    if (this.closed) return;
    if (this.pending.length >= MAX_PENDING) {
      this.health.dropped('logs', 1);
      return;
    }
    this.pending.push(record);
  }

  /** Takes the records emitted so far (the caller emits and takes synchronously, so they are its own). */
  take(): SdkLogRecord[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Exports records and resolves with the collector's answer (a timeout is a failure); never rejects. */
  export(records: SdkLogRecord[]): Promise<ExportResult> {
    if (records.length === 0) return Promise.resolve({ code: ExportResultCode.SUCCESS });
    return new Promise<ExportResult>((resolve) => {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (result.code === ExportResultCode.SUCCESS) this.health.exported('logs', records.length);
        else this.health.failed('logs', records.length, result.error);
        resolve(result);
      };
      const timer = setTimeout(() => finish({ code: ExportResultCode.FAILED, error: new Error(`no answer from the collector within ${this.timeoutMs} ms`) }), this.timeoutMs);
      timer.unref();
      try {
        this.exporter.export(records, finish);
      } catch (err) {
        finish({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }

  async forceFlush(): Promise<void> {
    await this.export(this.take());
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
    await this.exporter.shutdown();
  }
}
