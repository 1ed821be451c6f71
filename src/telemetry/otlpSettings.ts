// Where each signal is exported, from the config's `telemetry.otlp` and the standard OTEL_* variables.
// Precedence (docs/telemetry.md): the config file wins for everything it sets; the variables fill what it leaves
// out (they are how a deployment configures every OpenTelemetry SDK at once). With neither, OTLP is off.

import type { OtlpProtocol, TelemetryConfig } from '../config/types.js';
import type { SignalName } from './metrics.js';

export interface SignalExport {
  /** full URL of the signal, e.g. http://collector:4318/v1/traces */
  url: string;
  protocol: OtlpProtocol;
  /** headers from the config; OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS are merged under them by the exporter */
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface OtlpSettings {
  traces: SignalExport | null;
  metrics: SignalExport | null;
  logs: SignalExport | null;
  metricsIntervalMs: number;
  /** where the settings came from */
  origin: 'config' | 'environment' | 'none';
  /** things worth a warning at start (unsupported protocol, ...) */
  warnings: string[];
}

const SIGNALS: readonly SignalName[] = ['traces', 'metrics', 'logs'];
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_METRICS_INTERVAL_MS = 15_000;

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function positiveNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

export function resolveOtlpSettings(telemetry: TelemetryConfig, env: Env = process.env): OtlpSettings {
  const warnings: string[] = [];
  const none: OtlpSettings = { traces: null, metrics: null, logs: null, metricsIntervalMs: DEFAULT_METRICS_INTERVAL_MS, origin: 'none', warnings };
  if (envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') {
    if (telemetry.otlp !== null) warnings.push('OTEL_SDK_DISABLED=true: OTLP export is off although telemetry.otlp is configured');
    return none;
  }
  const config = telemetry.otlp;
  if (config !== null) {
    const signal = (name: SignalName, on: boolean): SignalExport | null =>
      on ? { url: joinUrl(config.endpoint, `v1/${name}`), protocol: config.protocol, headers: { ...config.headers }, timeoutMs: config.timeout_ms } : null;
    return {
      traces: signal('traces', config.traces),
      metrics: signal('metrics', config.metrics),
      logs: signal('logs', config.logs),
      metricsIntervalMs: config.metrics_interval_ms,
      origin: 'config',
      warnings,
    };
  }
  const settings: OtlpSettings = { ...none, origin: 'environment' };
  for (const name of SIGNALS) {
    const upper = name.toUpperCase();
    const chosen = envValue(env, `OTEL_${upper}_EXPORTER`);
    if (chosen !== undefined && !chosen.split(',').map((s) => s.trim()).includes('otlp')) continue;
    const specific = envValue(env, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`);
    const base = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    const url = specific ?? (base === undefined ? undefined : joinUrl(base, `v1/${name}`));
    if (url === undefined) continue;
    try {
      new URL(url);
    } catch {
      warnings.push(`OTEL endpoint for ${name} is not a URL ("${url}"); ${name} are not exported`);
      continue;
    }
    const protocolText = envValue(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) ?? envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
    let protocol: OtlpProtocol = 'http/protobuf';
    if (protocolText === 'http/json') protocol = 'http/json';
    else if (protocolText !== 'http/protobuf') {
      warnings.push(`OTLP protocol "${protocolText}" for ${name} is not supported (only http/protobuf and http/json); using http/protobuf, so point the endpoint at the collector's OTLP/HTTP port (4318)`);
    }
    const timeoutMs = positiveNumber(envValue(env, `OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`)) ?? positiveNumber(envValue(env, 'OTEL_EXPORTER_OTLP_TIMEOUT')) ?? DEFAULT_TIMEOUT_MS;
    settings[name] = { url, protocol, headers: {}, timeoutMs };
  }
  settings.metricsIntervalMs = positiveNumber(envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL')) ?? DEFAULT_METRICS_INTERVAL_MS;
  if (settings.traces === null && settings.metrics === null && settings.logs === null) return { ...none, warnings };
  return settings;
}
