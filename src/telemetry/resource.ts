// The resource every signal carries: who is exporting (service, version, this process, its host) and which
// Phabricator/Phorge instance it watches. OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME fill in what the
// config does not say.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { TelemetryConfig } from '../config/types.js';

/** The config loader's default for telemetry.service_name: when it is this, OTEL_SERVICE_NAME may replace it. */
const DEFAULT_SERVICE_NAME = 'phabwatch';
export const PHABWATCH_VERSION = '0.1.0';

/** Parses OTEL_RESOURCE_ATTRIBUTES (`key1=value1,key2=value2`, values percent-encoded); bad pairs are skipped. */
export function parseResourceAttributes(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    if (key === '') continue;
    try {
      out[key] = decodeURIComponent(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

export function resourceAttributes(telemetry: TelemetryConfig, env: Readonly<Record<string, string | undefined>> = process.env): Attributes {
  const fromEnv = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const envServiceName = env.OTEL_SERVICE_NAME?.trim() || fromEnv['service.name'];
  const serviceName = telemetry.service_name !== DEFAULT_SERVICE_NAME ? telemetry.service_name : (envServiceName ?? DEFAULT_SERVICE_NAME);
  const attributes: Attributes = {
    // Defaults first, so the environment can override them...
    'service.version': PHABWATCH_VERSION,
    'service.instance.id': randomUUID(),
    'host.name': hostname(),
    ...fromEnv,
    // ...and what the config says last, so it wins.
    'service.name': serviceName,
  };
  if (telemetry.instance !== null) attributes['phabricator.instance'] = telemetry.instance;
  return attributes;
}

export function buildResource(telemetry: TelemetryConfig, env: Readonly<Record<string, string | undefined>> = process.env): Resource {
  return resourceFromAttributes(resourceAttributes(telemetry, env));
}
