// Where each signal goes: the config file wins for what it sets, the standard OTEL_* variables fill the rest, and
// with neither OTLP is off. The resource says who exports and which Phabricator it watches.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TelemetryConfig } from '../../src/config/types.js';
import { resolveOtlpSettings } from '../../src/telemetry/otlpSettings.js';
import { parseResourceAttributes, resourceAttributes } from '../../src/telemetry/resource.js';

function telemetry(overrides: Partial<TelemetryConfig> = {}): TelemetryConfig {
  return { otlp: null, prometheus: null, sample: { errors: 1, flagged: 1, other: 0.01 }, service_name: 'phabwatch', instance: null, ...overrides };
}

const CONFIGURED: TelemetryConfig['otlp'] = {
  endpoint: 'http://collector.example.com:4318', protocol: 'http/json', traces: true, metrics: false, logs: true,
  headers: { 'x-scope': 'phab' }, timeout_ms: 3000, metrics_interval_ms: 30_000,
};

test('with neither config nor OTEL variables, nothing is exported', () => {
  const s = resolveOtlpSettings(telemetry(), {});
  assert.equal(s.origin, 'none');
  assert.equal(s.traces, null);
  assert.equal(s.metrics, null);
  assert.equal(s.logs, null);
});

test('the config decides per signal: URL, protocol, headers, timeout and interval', () => {
  const s = resolveOtlpSettings(telemetry({ otlp: CONFIGURED }), {});
  assert.equal(s.origin, 'config');
  assert.deepEqual(s.traces, { url: 'http://collector.example.com:4318/v1/traces', protocol: 'http/json', headers: { 'x-scope': 'phab' }, timeoutMs: 3000 });
  assert.equal(s.metrics, null, 'metrics: false in the config');
  assert.equal(s.logs?.url, 'http://collector.example.com:4318/v1/logs');
  assert.equal(s.metricsIntervalMs, 30_000);
});

test('the config wins over the OTEL variables', () => {
  const s = resolveOtlpSettings(telemetry({ otlp: CONFIGURED }), {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://elsewhere:4318/v1/traces',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'none',
  });
  assert.equal(s.traces?.url, 'http://collector.example.com:4318/v1/traces');
  assert.equal(s.traces?.protocol, 'http/json');
});

test('without telemetry.otlp, OTEL_EXPORTER_OTLP_ENDPOINT turns OTLP on for every signal', () => {
  const s = resolveOtlpSettings(telemetry(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/', OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_METRIC_EXPORT_INTERVAL: '5000' });
  assert.equal(s.origin, 'environment');
  assert.equal(s.traces?.url, 'http://otel:4318/v1/traces');
  assert.equal(s.metrics?.url, 'http://otel:4318/v1/metrics');
  assert.equal(s.logs?.url, 'http://otel:4318/v1/logs');
  assert.equal(s.traces?.protocol, 'http/protobuf', 'the OTLP default');
  assert.equal(s.traces?.timeoutMs, 2500);
  assert.equal(s.metricsIntervalMs, 5000);
});

test('per-signal variables: their own endpoint (used as is), protocol, and OTEL_<SIGNAL>_EXPORTER=none', () => {
  const s = resolveOtlpSettings(telemetry(), {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom/traces', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://loki:3100/otlp/v1/logs', OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
  });
  assert.equal(s.traces?.url, 'http://tempo:4318/custom/traces');
  assert.equal(s.traces?.protocol, 'http/json');
  assert.equal(s.logs?.url, 'http://loki:3100/otlp/v1/logs');
  assert.equal(s.logs?.protocol, 'http/protobuf');
  assert.equal(s.metrics, null);
});

test('gRPC is not spoken: a warning, and OTLP/HTTP protobuf instead', () => {
  const s = resolveOtlpSettings(telemetry(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  assert.equal(s.traces?.protocol, 'http/protobuf');
  assert.equal(s.warnings.length, 3);
  assert.match(s.warnings[0]!, /grpc.*not supported/);
});

test('OTEL_SDK_DISABLED=true turns everything off, and says so when the config asked for OTLP', () => {
  const s = resolveOtlpSettings(telemetry({ otlp: CONFIGURED }), { OTEL_SDK_DISABLED: 'true' });
  assert.equal(s.origin, 'none');
  assert.equal(s.traces, null);
  assert.match(s.warnings.join('\n'), /OTEL_SDK_DISABLED/);
});

test('a variable that is not a URL is reported, not thrown', () => {
  const s = resolveOtlpSettings(telemetry(), { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' });
  assert.equal(s.traces, null);
  assert.match(s.warnings.join('\n'), /not a URL/);
});

test('resource: service and instance from the config, the rest from OTEL_RESOURCE_ATTRIBUTES', () => {
  const attrs = resourceAttributes(telemetry({ service_name: 'phabwatch-prod', instance: 'phorge.example.com' }), {
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=ignored,team=dev%20tools', OTEL_SERVICE_NAME: 'also-ignored',
  });
  assert.equal(attrs['service.name'], 'phabwatch-prod');
  assert.equal(attrs['phabricator.instance'], 'phorge.example.com');
  assert.equal(attrs['deployment.environment'], 'prod');
  assert.equal(attrs['team'], 'dev tools');
  assert.equal(attrs['service.version'], '0.1.0');
  assert.equal(typeof attrs['host.name'], 'string');
  assert.match(String(attrs['service.instance.id']), /^[0-9a-f-]{36}$/);
});

test('resource: OTEL_SERVICE_NAME applies when the config leaves service_name at its default', () => {
  assert.equal(resourceAttributes(telemetry(), { OTEL_SERVICE_NAME: 'watch-eu' })['service.name'], 'watch-eu');
  assert.equal(resourceAttributes(telemetry(), {})['service.name'], 'phabwatch');
  assert.equal(resourceAttributes(telemetry(), {})['phabricator.instance'], undefined);
});

test('OTEL_RESOURCE_ATTRIBUTES: bad pairs are skipped', () => {
  assert.deepEqual(parseResourceAttributes('a=1,,=x,b,c=%E0%A4%A,d= 2 '), { a: '1', c: '%E0%A4%A', d: '2' });
});
