// dashboards/phabwatch-operations.json: how the Phabricator/Phorge front door is doing (traffic, errors,
// latency, Conduit, logins, webhooks, SSH) and how phabwatch itself is doing (ingestion, alert delivery).

import { BY_JOB, BY_SOURCE, commonVariables } from './commonParts.js';
import { buildDashboard, type DashboardJson, type RowSpec } from './grafanaJson.js';

const RATE = '$__rate_interval';
const RANGE = '$__range';

const LAG_STEPS = [
  { color: 'green', value: null },
  { color: 'yellow', value: 60 },
  { color: 'red', value: 300 },
];

function quantile(q: number, by: string): string {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(phabwatch_request_duration_bucket{${BY_SOURCE}}[${RATE}])))`;
}

const overview: RowSpec = {
  title: 'Overview',
  panels: [
    {
      kind: 'stat',
      title: 'Requests in range',
      description: 'Requests logged in the selected time range, per source (each log counts the requests it records).',
      unit: 'short',
      decimals: 0,
      width: 6,
      height: 4,
      instant: true,
      queries: [{ expr: `sum by (source) (increase(phabwatch_requests_total{${BY_SOURCE}}[${RANGE}]))`, legend: '{{source}}' }],
    },
    {
      kind: 'stat',
      title: 'Server error ratio',
      description: 'Share of requests answered with a 5xx over the selected time range, per source.',
      unit: 'percentunit',
      decimals: 2,
      width: 6,
      height: 4,
      instant: true,
      thresholds: [
        { color: 'green', value: null },
        { color: 'yellow', value: 0.01 },
        { color: 'red', value: 0.05 },
      ],
      queries: [
        {
          expr: `sum by (source) (increase(phabwatch_requests_total{${BY_SOURCE}, status_class="5xx"}[${RANGE}])) / sum by (source) (increase(phabwatch_requests_total{${BY_SOURCE}}[${RANGE}]))`,
          legend: '{{source}}',
        },
      ],
    },
    {
      kind: 'stat',
      title: 'Ingest lag',
      description: 'Wall-clock time minus the newest event time stored, worst source. Large while a backlog or an old log is replayed; it only grows on a quiet install when a source stops writing.',
      unit: 's',
      width: 6,
      height: 4,
      thresholds: LAG_STEPS,
      queries: [{ expr: `max(phabwatch_ingest_lag{${BY_SOURCE}})`, legend: 'worst source' }],
    },
    {
      kind: 'stat',
      title: 'Alerts firing',
      description: 'Alerts firing now, all rules.',
      unit: 'short',
      decimals: 0,
      noValue: '0',
      width: 6,
      height: 4,
      thresholds: [
        { color: 'green', value: null },
        { color: 'red', value: 1 },
      ],
      queries: [{ expr: `sum(phabwatch_alerts_firing{${BY_JOB}})`, legend: 'firing' }],
    },
  ],
};

const traffic: RowSpec = {
  title: 'Traffic',
  panels: [
    {
      kind: 'timeseries',
      title: 'Requests per second by source',
      description: 'Requests seen in the access and web server logs. The Phorge log and the web server log each record most requests, so their lines are not to be added up.',
      unit: 'reqps',
      width: 12,
      queries: [{ expr: `sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{source}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Requests by kind',
      description: 'Web pages (http), Conduit API calls, password logins and VCS over HTTP.',
      unit: 'reqps',
      width: 12,
      queries: [{ expr: `sum by (source, kind) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{source}} {{kind}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Requests by route class',
      description: 'Which part of the application is busy (Diffusion, Differential, Maniphest, Conduit, ...).',
      unit: 'reqps',
      width: 24,
      stack: true,
      queries: [{ expr: `sum by (route_class) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{route_class}}' }],
    },
  ],
};

const errors: RowSpec = {
  title: 'Errors',
  panels: [
    {
      kind: 'timeseries',
      title: 'Responses by status class',
      description: 'Requests per second by HTTP status class. Phorge logs redirects, Conduit errors and its anonymous 404 page as 200; the web server log shows the real code.',
      unit: 'reqps',
      width: 12,
      stack: true,
      queries: [{ expr: `sum by (status_class) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{status_class}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Server error ratio by source',
      description: 'Share of requests answered with a 5xx.',
      unit: 'percentunit',
      width: 12,
      min: 0,
      queries: [
        {
          expr: `sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, status_class="5xx"}[${RATE}])) / sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`,
          legend: '{{source}}',
        },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Unsuccessful requests by outcome',
      description: 'Everything that did not end well: not found, denied, rate limited, client and server errors, Conduit authentication failures, login attempts.',
      unit: 'reqps',
      width: 24,
      queries: [{ expr: `sum by (outcome) (rate(phabwatch_requests_total{${BY_SOURCE}, outcome!="ok"}[${RATE}]))`, legend: '{{outcome}}' }],
    },
  ],
};

const latency: RowSpec = {
  title: 'Latency',
  panels: [
    {
      kind: 'timeseries',
      title: 'Request duration percentiles',
      description: 'Request duration as logged (Phorge %T; nginx `combined` carries none), estimated from the histogram buckets.',
      unit: 'ms',
      width: 12,
      queries: [
        { expr: quantile(0.5, 'source'), legend: 'p50 {{source}}' },
        { expr: quantile(0.9, 'source'), legend: 'p90 {{source}}' },
        { expr: quantile(0.99, 'source'), legend: 'p99 {{source}}' },
      ],
    },
    {
      kind: 'heatmap',
      title: 'Request duration distribution',
      description: 'Requests per duration bucket over time.',
      unit: 'ms',
      width: 12,
      queries: [{ expr: `sum by (le) (increase(phabwatch_request_duration_bucket{${BY_SOURCE}}[${RATE}]))`, legend: '{{le}}' }],
    },
    {
      kind: 'timeseries',
      title: 'p90 duration by route class',
      description: 'Which part of the application is slow.',
      unit: 'ms',
      width: 12,
      queries: [{ expr: quantile(0.9, 'route_class'), legend: '{{route_class}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Mean duration by kind',
      description: 'Mean request duration for pages, Conduit, logins and VCS over HTTP.',
      unit: 'ms',
      width: 12,
      queries: [
        {
          expr: `sum by (kind) (rate(phabwatch_request_duration_sum{${BY_SOURCE}}[${RATE}])) / sum by (kind) (rate(phabwatch_request_duration_count{${BY_SOURCE}}[${RATE}]))`,
          legend: '{{kind}}',
        },
      ],
    },
  ],
};

const conduit: RowSpec = {
  title: 'Conduit',
  panels: [
    {
      kind: 'timeseries',
      title: 'Conduit calls by method (top 10)',
      description: 'Busiest Conduit methods. Methods Phabricator did not recognise are grouped as `other`.',
      unit: 'reqps',
      width: 12,
      queries: [{ expr: `topk(10, sum by (conduit_method) (rate(phabwatch_conduit_calls_total{${BY_SOURCE}}[${RATE}])))`, legend: '{{conduit_method}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Conduit calls by outcome',
      description: 'Conduit answers 200 even on errors; the outcome tells successful calls from authentication failures.',
      unit: 'reqps',
      width: 12,
      stack: true,
      queries: [{ expr: `sum by (outcome) (rate(phabwatch_conduit_calls_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{outcome}}' }],
    },
  ],
};

const loginsWebhooksSsh: RowSpec = {
  title: 'Logins, webhooks and SSH',
  panels: [
    {
      kind: 'timeseries',
      title: 'Password logins by outcome',
      description: 'Phorge logs every password POST alike (login_attempt); the web server log tells success (302) from failure (200).',
      unit: 'cpm',
      width: 8,
      bars: true,
      queries: [{ expr: `60 * sum by (outcome) (rate(phabwatch_logins_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{outcome}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Webhook delivery failures',
      description: 'Herald webhook failures in daemons.log, by error type; retry=true failures will be retried, retry=false ones are permanent.',
      unit: 'cpm',
      width: 8,
      bars: true,
      queries: [
        { expr: `60 * sum by (error_type, retry) (rate(phabwatch_webhook_failures_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{error_type}} retry={{retry}}' },
      ],
    },
    {
      kind: 'timeseries',
      title: 'SSH sessions by workflow',
      description: 'Clones, fetches and pushes over SSH, and Conduit over SSH.',
      unit: 'cpm',
      width: 8,
      stack: true,
      queries: [{ expr: `60 * sum by (workflow) (rate(phabwatch_ssh_sessions_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{workflow}}' }],
    },
    {
      kind: 'timeseries',
      title: 'SSH sessions by outcome',
      description: 'SSH sessions that ended with a non-zero exit are `failed`.',
      unit: 'cpm',
      width: 12,
      queries: [{ expr: `60 * sum by (outcome) (rate(phabwatch_ssh_sessions_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{outcome}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Daemon log events',
      description: 'Events read from daemons.log, by kind: webhook delivery failures, and other daemon messages (exceptions, task failures, overseer restarts).',
      unit: 'cpm',
      width: 12,
      bars: true,
      queries: [{ expr: `60 * sum by (source, kind) (rate(phabwatch_events_total{${BY_SOURCE}, kind=~"webhook|daemon"}[${RATE}]))`, legend: '{{source}} {{kind}}' }],
    },
  ],
};

const ingestion: RowSpec = {
  title: 'Ingestion health',
  panels: [
    {
      kind: 'timeseries',
      title: 'Lines read per second',
      description: 'Log lines read, per source. A source whose line stays at zero while its service is busy is not being read.',
      unit: 'cps',
      width: 8,
      queries: [{ expr: `sum by (source) (rate(phabwatch_lines_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{source}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Events stored per second by kind',
      description: 'Events written to the store, by kind.',
      unit: 'eps',
      width: 8,
      stack: true,
      queries: [{ expr: `sum by (kind) (rate(phabwatch_events_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{kind}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Rejected lines by reason',
      description: 'Lines that could not be turned into events (format mismatch, bad timestamp, oversized, binary, ...). `phabwatch query` on the rejects table shows them.',
      unit: 'cpm',
      width: 8,
      bars: true,
      queries: [{ expr: `60 * sum by (source, reason) (rate(phabwatch_rejects_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{source}} {{reason}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Ingest lag by source',
      description: 'Wall-clock time minus the newest event time stored.',
      unit: 's',
      width: 12,
      thresholds: LAG_STEPS,
      queries: [{ expr: `max by (source) (phabwatch_ingest_lag{${BY_SOURCE}})`, legend: '{{source}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Batch commit duration',
      description: 'Time to commit one batch of events to SQLite. Slow commits mean a slow disk or a long reader on the store.',
      unit: 'ms',
      width: 12,
      queries: [
        { expr: `histogram_quantile(0.5, sum by (le) (rate(phabwatch_ingest_commit_duration_bucket{${BY_JOB}}[${RATE}])))`, legend: 'p50' },
        { expr: `histogram_quantile(0.99, sum by (le) (rate(phabwatch_ingest_commit_duration_bucket{${BY_JOB}}[${RATE}])))`, legend: 'p99' },
      ],
    },
  ],
};

const delivery: RowSpec = {
  title: 'Alert delivery',
  panels: [
    {
      kind: 'timeseries',
      title: 'Alert deliveries by sink and result',
      description: 'Delivery attempts per destination: delivered, failed (will be retried) or dropped (backlog full).',
      unit: 'cpm',
      width: 12,
      bars: true,
      queries: [{ expr: `60 * sum by (sink, result) (rate(phabwatch_alert_deliveries_total{${BY_JOB}}[${RATE}]))`, legend: '{{sink}} {{result}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Alert backlog by sink',
      description: 'Notifications waiting to be delivered. A backlog that keeps growing means a destination is down.',
      unit: 'short',
      decimals: 0,
      width: 12,
      queries: [{ expr: `max by (sink) (phabwatch_alert_backlog{${BY_JOB}})`, legend: '{{sink}}' }],
    },
  ],
};

export function operationsDashboard(): DashboardJson {
  return buildDashboard(
    {
      uid: 'phabwatch-operations',
      title: 'phabwatch / Operations',
      description: 'Traffic, errors and latency of a Phabricator/Phorge install as its logs tell it, and the health of the phabwatch agent reading them.',
      tags: ['phabwatch', 'phabricator'],
    },
    commonVariables(),
    [overview, traffic, errors, latency, conduit, loginsWebhooksSsh, ingestion, delivery],
  );
}
