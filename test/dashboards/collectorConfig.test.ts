// otel-collector.yaml is a collector config that would start: valid YAML, known component types, every component
// a pipeline names is defined (and every defined one used), a pipeline per signal, the memory_limiter first.
// No collector binary exists on this machine (neither apt nor npm has one), so the structure is what is checked.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { REPO_ROOT } from './shippedDashboards.js';

type Section = 'receivers' | 'processors' | 'exporters';
const SECTIONS: readonly Section[] = ['receivers', 'processors', 'exporters'];
const SIGNALS = ['metrics', 'traces', 'logs'] as const;

/** Component types of the contrib distribution this config may use; a typo in a type is caught here. */
const KNOWN_TYPES: Readonly<Record<Section, readonly string[]>> = {
  receivers: ['otlp'],
  processors: ['memory_limiter', 'batch', 'transform', 'resource', 'attributes', 'filter'],
  exporters: ['prometheus', 'otlp_grpc', 'otlp_http', 'otlp', 'otlphttp', 'debug'],
};

interface Pipeline {
  receivers?: unknown;
  processors?: unknown;
  exporters?: unknown;
}

interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  service?: { pipelines?: Record<string, Pipeline> };
}

const text = readFileSync(join(REPO_ROOT, 'otel-collector.yaml'), 'utf8');

function load(source: string): CollectorConfig {
  const doc = YAML.parseDocument(source, { uniqueKeys: true });
  assert.deepEqual(doc.errors.map((e) => e.message), [], 'otel-collector.yaml is not valid YAML');
  assert.deepEqual(doc.warnings.map((e) => e.message), []);
  return doc.toJS() as CollectorConfig;
}

function names(list: unknown, where: string): string[] {
  assert.ok(Array.isArray(list) && list.every((n) => typeof n === 'string'), `${where} must be a list of component ids`);
  return list as string[];
}

/** Every problem of a collector config's wiring; empty when it is sound. */
function wiringProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const pipelines = config.service?.pipelines ?? {};
  const used = new Set<string>();
  for (const section of SECTIONS) {
    for (const id of Object.keys(config[section] ?? {})) {
      const type = id.split('/')[0]!;
      if (!KNOWN_TYPES[section].includes(type)) problems.push(`${section}.${id}: unknown component type "${type}"`);
    }
  }
  for (const signal of SIGNALS) if (!(signal in pipelines)) problems.push(`no ${signal} pipeline`);
  for (const [pipelineId, pipeline] of Object.entries(pipelines)) {
    for (const section of SECTIONS) {
      const ids = pipeline[section] === undefined && section === 'processors' ? [] : names(pipeline[section], `pipeline ${pipelineId} ${section}`);
      if (section !== 'processors' && ids.length === 0) problems.push(`pipeline ${pipelineId} has no ${section}`);
      for (const id of ids) {
        used.add(`${section}.${id}`);
        if (!(id in (config[section] ?? {}))) problems.push(`pipeline ${pipelineId} uses ${section}.${id}, which is not defined`);
      }
      if (section === 'processors') {
        if (ids[0]?.split('/')[0] !== 'memory_limiter') problems.push(`pipeline ${pipelineId}: memory_limiter is not the first processor`);
        const batch = ids.findIndex((id) => id.split('/')[0] === 'batch');
        if (batch !== -1 && batch !== ids.length - 1) problems.push(`pipeline ${pipelineId}: batch is not the last processor`);
      }
    }
  }
  for (const section of SECTIONS) {
    for (const id of Object.keys(config[section] ?? {})) if (!used.has(`${section}.${id}`)) problems.push(`${section}.${id} is defined but no pipeline uses it`);
  }
  return problems;
}

const config = load(text);

test('otel-collector.yaml wires every signal through defined, known components', () => {
  assert.deepEqual(wiringProblems(config), []);
});

test('the OTLP/HTTP receiver listens on port 4318', () => {
  const http = (config.receivers?.otlp as { protocols?: { http?: { endpoint?: unknown } } } | undefined)?.protocols?.http;
  assert.equal(http?.endpoint, '0.0.0.0:4318');
});

test('metrics go to a Prometheus exporter on port 8889, through the memory_limiter and batch processors', () => {
  const metrics = config.service!.pipelines!.metrics!;
  const exporters = names(metrics.exporters, 'metrics exporters');
  assert.ok(exporters.includes('prometheus'));
  const prometheus = config.exporters!.prometheus as { endpoint?: unknown; resource_to_telemetry_conversion?: { enabled?: unknown } };
  assert.match(String(prometheus.endpoint), /:8889$/);
  assert.equal(typeof prometheus.resource_to_telemetry_conversion?.enabled, 'boolean');
  const processors = names(metrics.processors, 'metrics processors').map((id) => id.split('/')[0]);
  assert.ok(processors.includes('memory_limiter') && processors.includes('batch'));
});

test('the metrics pipeline keeps the unit out of phabwatch series names, as the direct Prometheus endpoint does', () => {
  // Without it the dashboards would find phabwatch_request_duration_milliseconds_bucket through the collector.
  const processors = names(config.service!.pipelines!.metrics!.processors, 'metrics processors');
  const statements = processors
    .filter((id) => id.split('/')[0] === 'transform')
    .flatMap((id) => (config.processors![id] as { metric_statements?: unknown[] }).metric_statements ?? []);
  assert.ok(statements.some((s) => typeof s === 'string' && /set\(metric\.unit, ""\) where IsMatch\(metric\.name, "\^phabwatch\[\.\]"\)/.test(s)), JSON.stringify(statements));
});

test('traces and logs leave through an exporter a user points at a backend', () => {
  for (const signal of ['traces', 'logs'] as const) {
    const exporters = names(config.service!.pipelines![signal]!.exporters, `${signal} exporters`);
    for (const id of exporters) {
      const endpoint = (config.exporters![id] as { endpoint?: unknown }).endpoint;
      assert.equal(typeof endpoint, 'string', `${signal} exporter ${id} has no endpoint`);
    }
  }
});

test('the wiring check catches a broken copy', () => {
  const broken = load(
    text
      .replace('processors: [memory_limiter, transform/phabwatch_names, batch]', 'processors: [batch, memory_limiter, transform/phabwatch_names]')
      .replace('exporters: [otlp_http/logs]', 'exporters: [otlphttp/loki]')
      .replace('  memory_limiter:\n', '  memory_limitter:\n'),
  );
  const problems = wiringProblems(broken);
  assert.ok(problems.includes('processors.memory_limitter: unknown component type "memory_limitter"'), problems.join('\n'));
  assert.ok(problems.includes('pipeline metrics: memory_limiter is not the first processor'), problems.join('\n'));
  assert.ok(problems.includes('pipeline metrics: batch is not the last processor'), problems.join('\n'));
  assert.ok(problems.includes('pipeline logs uses exporters.otlphttp/loki, which is not defined'), problems.join('\n'));
  assert.ok(problems.includes('exporters.otlp_http/logs is defined but no pipeline uses it'), problems.join('\n'));
  const withoutLogs = structuredClone(config);
  delete withoutLogs.service!.pipelines!.logs;
  assert.ok(wiringProblems(withoutLogs).includes('no logs pipeline'));
});
