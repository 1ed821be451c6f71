// A stand-in OTLP/HTTP collector for tests: a node:http server on 127.0.0.1 (random port) that accepts
// /v1/traces, /v1/metrics and /v1/logs in protobuf (decoded with otlp-transformer 0.214's generated decoders,
// installed as the dev dependency `otlp-decode`) or JSON, gunzips when asked, keeps every raw body, and offers the
// spans, metric data points and log records in one normalized shape whatever the encoding.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

export type Signal = 'traces' | 'metrics' | 'logs';
export type AttributeValue = string | number | boolean | null | AttributeValue[];
export type AttributeMap = Record<string, AttributeValue>;

export interface ReceivedRequest {
  signal: Signal;
  contentType: string;
  contentEncoding: string | null;
  /** the body as received (possibly gzip) */
  wire: Buffer;
  /** the body after gunzip */
  raw: Buffer;
  /** the decoded request (protobuf: protobufjs toObject with longs and bytes as strings) */
  decoded: Record<string, unknown>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  name: string;
  /** OTLP SpanKind number (SERVER = 2) */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: AttributeMap;
  /** OTLP status code (0 unset, 1 ok, 2 error) */
  statusCode: number;
  links: { traceId: string; spanId: string; attributes: AttributeMap }[];
  scope: string;
  resource: AttributeMap;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram' | 'other';
  monotonic: boolean;
  points: ReceivedPoint[];
  scope: string;
  resource: AttributeMap;
}

export interface ReceivedPoint {
  attributes: AttributeMap;
  /** sum/gauge value, or the histogram's count */
  value: number;
  histogram: { count: number; sum: number; bucketCounts: number[]; bounds: number[] } | null;
}

export interface ReceivedLog {
  timeNs: bigint;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: AttributeMap;
  traceId: string;
  spanId: string;
  resource: AttributeMap;
}

interface Codec {
  decode(data: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const root = require('otlp-decode/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: Record<'trace' | 'metrics' | 'logs', { v1: Record<string, Codec> }> } };
};
const collector = root.opentelemetry.proto.collector;
const CODECS: Record<Signal, Codec> = {
  traces: collector.trace.v1.ExportTraceServiceRequest!,
  metrics: collector.metrics.v1.ExportMetricsServiceRequest!,
  logs: collector.logs.v1.ExportLogsServiceRequest!,
};
const PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | null = null;
  port = 0;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  clear(): void {
    this.requests.length = 0;
  }

  of(signal: Signal): ReceivedRequest[] {
    return this.requests.filter((r) => r.signal === signal);
  }

  spans(): ReceivedSpan[] {
    const out: ReceivedSpan[] = [];
    for (const r of this.of('traces')) {
      for (const rs of list(r.decoded.resourceSpans)) {
        const resource = attributesOf(record(rs.resource).attributes);
        for (const ss of list(rs.scopeSpans)) {
          const scope = String(record(ss.scope).name ?? '');
          for (const s of list(ss.spans)) {
            out.push({
              traceId: hexId(s.traceId), spanId: hexId(s.spanId), name: String(s.name), kind: Number(s.kind ?? 0),
              startNs: BigInt(String(s.startTimeUnixNano ?? 0)), endNs: BigInt(String(s.endTimeUnixNano ?? 0)),
              attributes: attributesOf(s.attributes), statusCode: Number(record(s.status).code ?? 0),
              links: list(s.links).map((l) => ({ traceId: hexId(l.traceId), spanId: hexId(l.spanId), attributes: attributesOf(l.attributes) })),
              scope, resource,
            });
          }
        }
      }
    }
    return out;
  }

  /** Metrics of every export, in arrival order (cumulative exports repeat a metric: take the last). */
  metrics(): ReceivedMetric[] {
    const out: ReceivedMetric[] = [];
    for (const r of this.of('metrics')) {
      for (const rm of list(r.decoded.resourceMetrics)) {
        const resource = attributesOf(record(rm.resource).attributes);
        for (const sm of list(rm.scopeMetrics)) {
          const scope = String(record(sm.scope).name ?? '');
          for (const m of list(sm.metrics)) out.push({ ...metricOf(m), scope, resource });
        }
      }
    }
    return out;
  }

  /** The newest export of each metric name. */
  latestMetrics(): Map<string, ReceivedMetric> {
    const latest = new Map<string, ReceivedMetric>();
    for (const m of this.metrics()) latest.set(m.name, m);
    return latest;
  }

  logs(): ReceivedLog[] {
    const out: ReceivedLog[] = [];
    for (const r of this.of('logs')) {
      for (const rl of list(r.decoded.resourceLogs)) {
        const resource = attributesOf(record(rl.resource).attributes);
        for (const sl of list(rl.scopeLogs)) {
          for (const l of list(sl.logRecords)) {
            out.push({
              timeNs: BigInt(String(l.timeUnixNano ?? 0)), severityNumber: Number(l.severityNumber ?? 0), severityText: String(l.severityText ?? ''),
              body: anyValue(l.body), attributes: attributesOf(l.attributes), traceId: hexId(l.traceId), spanId: hexId(l.spanId), resource,
            });
          }
        }
      }
    }
    return out;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signal = PATHS[req.url ?? ''];
      if (req.method !== 'POST' || signal === undefined) {
        res.writeHead(404).end();
        return;
      }
      const wire = Buffer.concat(chunks);
      const contentEncoding = req.headers['content-encoding'] ?? null;
      const contentType = String(req.headers['content-type'] ?? '');
      let raw: Buffer;
      let decoded: Record<string, unknown>;
      const json = contentType.includes('json');
      try {
        raw = contentEncoding === 'gzip' ? gunzipSync(wire) : wire;
        if (json) decoded = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        else {
          const codec = CODECS[signal];
          decoded = codec.toObject(codec.decode(raw), { longs: String, bytes: String, defaults: false });
        }
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${String(err)}`);
        return;
      }
      this.requests.push({ signal, contentType, contentEncoding, wire, raw, decoded });
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  }
}

type Obj = Record<string, unknown>;

function record(value: unknown): Obj {
  return value !== null && typeof value === 'object' ? (value as Obj) : {};
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(record) : [];
}

/** JSON carries ids as hex, decoded protobuf as base64 (bytes: String); both become lowercase hex. */
function hexId(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  if (/^[0-9a-f]+$/i.test(value) && (value.length === 32 || value.length === 16)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

function anyValue(value: unknown): AttributeValue {
  const v = record(value);
  if ('stringValue' in v) return String(v.stringValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('arrayValue' in v) return list(record(v.arrayValue).values).map(anyValue);
  return null;
}

function attributesOf(value: unknown): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of list(value)) out[String(kv.key)] = anyValue(kv.value);
  return out;
}

function metricOf(m: Obj): Omit<ReceivedMetric, 'scope' | 'resource'> {
  const base = { name: String(m.name), unit: String(m.unit ?? '') };
  const numberPoint = (p: Obj): ReceivedPoint => ({
    attributes: attributesOf(p.attributes), value: Number(p.asDouble ?? p.asInt ?? 0), histogram: null,
  });
  if (m.sum) {
    const sum = record(m.sum);
    return { ...base, type: 'sum', monotonic: Boolean(sum.isMonotonic), points: list(sum.dataPoints).map(numberPoint) };
  }
  if (m.gauge) return { ...base, type: 'gauge', monotonic: false, points: list(record(m.gauge).dataPoints).map(numberPoint) };
  if (m.histogram) {
    const points = list(record(m.histogram).dataPoints).map((p): ReceivedPoint => {
      const count = Number(p.count ?? 0);
      return {
        attributes: attributesOf(p.attributes), value: count,
        histogram: {
          count, sum: Number(p.sum ?? 0),
          bucketCounts: (Array.isArray(p.bucketCounts) ? p.bucketCounts : []).map(Number),
          bounds: (Array.isArray(p.explicitBounds) ? p.explicitBounds : []).map(Number),
        },
      };
    });
    return { ...base, type: 'histogram', monotonic: false, points };
  }
  return { ...base, type: 'other', monotonic: false, points: [] };
}
