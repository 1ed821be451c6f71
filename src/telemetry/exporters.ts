// The OTLP/HTTP exporter of each signal, in the protocol the settings ask for (protobuf or JSON).

import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SignalExport } from './otlpSettings.js';

function options(s: SignalExport): { url: string; headers: Record<string, string>; timeoutMillis: number } {
  return { url: s.url, headers: s.headers, timeoutMillis: s.timeoutMs };
}

export function traceExporter(s: SignalExport): SpanExporter {
  return s.protocol === 'http/json' ? new JsonTraceExporter(options(s)) : new ProtoTraceExporter(options(s));
}

export function metricExporter(s: SignalExport): PushMetricExporter {
  return s.protocol === 'http/json' ? new JsonMetricExporter(options(s)) : new ProtoMetricExporter(options(s));
}

export function logExporter(s: SignalExport): LogRecordExporter {
  return s.protocol === 'http/json' ? new JsonLogExporter(options(s)) : new ProtoLogExporter(options(s));
}
