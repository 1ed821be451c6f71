// dashboards/phabwatch-security.json: what an on-call security engineer looks at: alerts, authentication
// failures, logins, activity outside business hours, scanning, sensitive routes and webhooks.

import { BY_JOB, BY_SOURCE, commonVariables } from './commonParts.js';
import { buildDashboard, type DashboardJson, type RowSpec } from './grafanaJson.js';

const RATE = '$__rate_interval';
const RANGE = '$__range';

const SEVERITY_STEPS = [
  { color: 'green', value: null },
  { color: 'red', value: 1 },
];

const alerts: RowSpec = {
  title: 'Alerts',
  panels: [
    {
      kind: 'stat',
      title: 'Alerts firing by severity',
      description: 'Alerts firing now, per rule severity.',
      unit: 'short',
      decimals: 0,
      noValue: '0',
      width: 8,
      height: 6,
      thresholds: SEVERITY_STEPS,
      queries: [{ expr: `sum by (severity) (phabwatch_alerts_firing{${BY_JOB}})`, legend: '{{severity}}' }],
    },
    {
      kind: 'bargauge',
      title: 'Alerts firing by rule',
      description: 'Alerts firing now, per detection rule (rule ids as in `phabwatch rules`; each has a runbook in docs/runbooks/).',
      unit: 'short',
      decimals: 0,
      width: 16,
      height: 6,
      thresholds: SEVERITY_STEPS,
      queries: [{ expr: `sum by (rule, severity) (phabwatch_alerts_firing{${BY_JOB}})`, legend: '{{rule}} ({{severity}})' }],
    },
    {
      kind: 'timeseries',
      title: 'Alerts firing over time',
      description: 'How many alerts of each rule were firing.',
      unit: 'short',
      decimals: 0,
      width: 12,
      stack: true,
      queries: [{ expr: `sum by (rule) (phabwatch_alerts_firing{${BY_JOB}})`, legend: '{{rule}}' }],
    },
    {
      kind: 'bargauge',
      title: 'Alert notifications in range',
      description: 'Alert transitions in the selected time range, per rule and kind (firing, resolved, renotify).',
      unit: 'short',
      decimals: 0,
      width: 12,
      instant: true,
      queries: [{ expr: `sum by (rule, kind) (increase(phabwatch_alerts_notifications_total{${BY_JOB}}[${RANGE}]))`, legend: '{{rule}} {{kind}}' }],
    },
  ],
};

const authentication: RowSpec = {
  title: 'Authentication',
  panels: [
    {
      kind: 'timeseries',
      title: 'Conduit authentication failures',
      description: 'Conduit calls to methods that need authentication that came without a valid token (Phorge still answers 200). A burst from one place is a token guesser or a revoked token still in use.',
      unit: 'cpm',
      width: 12,
      bars: true,
      queries: [{ expr: `60 * sum by (source) (rate(phabwatch_conduit_calls_total{${BY_SOURCE}, outcome="auth_failure"}[${RATE}]))`, legend: '{{source}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Conduit authentication failures by method (top 10)',
      description: 'Which methods unauthenticated callers try.',
      unit: 'cpm',
      width: 12,
      queries: [
        {
          expr: `topk(10, 60 * sum by (conduit_method) (rate(phabwatch_conduit_calls_total{${BY_SOURCE}, outcome="auth_failure"}[${RATE}])))`,
          legend: '{{conduit_method}}',
        },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Password logins',
      description: 'Login attempts, failures and successes per minute (failures and successes come from the web server log; Phorge logs both alike).',
      unit: 'cpm',
      width: 12,
      bars: true,
      queries: [{ expr: `60 * sum by (outcome) (rate(phabwatch_logins_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{outcome}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Login failure ratio',
      description: 'Failed password logins among those whose result is known. Close to 1 during a brute-force attempt.',
      unit: 'percentunit',
      width: 12,
      min: 0,
      max: 1,
      queries: [
        {
          expr: `sum by (source) (rate(phabwatch_logins_total{${BY_SOURCE}, outcome="login_failure"}[${RATE}])) / sum by (source) (rate(phabwatch_logins_total{${BY_SOURCE}, outcome=~"login_failure|login_success"}[${RATE}]))`,
          legend: '{{source}}',
        },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Denied requests',
      description: 'Requests refused with 401/403: bad VCS credentials, policy denials.',
      unit: 'reqpm',
      width: 24,
      queries: [{ expr: `60 * sum by (source, kind) (rate(phabwatch_requests_total{${BY_SOURCE}, outcome="denied"}[${RATE}]))`, legend: '{{source}} {{kind}}' }],
    },
  ],
};

const offHours: RowSpec = {
  title: 'Off-hours activity',
  panels: [
    {
      kind: 'timeseries',
      title: 'Requests outside business hours by kind',
      description: "Signed-in requests made outside the requester's own business hours (their zone from identities.timezones, holidays included).",
      unit: 'reqpm',
      width: 12,
      queries: [{ expr: `60 * sum by (kind) (rate(phabwatch_requests_total{${BY_SOURCE}, hours="off"}[${RATE}]))`, legend: '{{kind}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Share of requests outside business hours',
      description: "Off-hours requests among those whose requester's hours are known (anonymous requests are `unknown` and left out).",
      unit: 'percentunit',
      width: 12,
      min: 0,
      max: 1,
      queries: [
        {
          expr: `sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, hours="off"}[${RATE}])) / sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, hours=~"business|off"}[${RATE}]))`,
          legend: '{{source}}',
        },
      ],
    },
  ],
};

const probing: RowSpec = {
  title: 'Scanning and sensitive routes',
  panels: [
    {
      kind: 'timeseries',
      title: 'Not-found requests',
      description: "404s, including Phorge's anonymous 404 page that it logs as 200. A scanner shows as a sudden wall of them.",
      unit: 'reqpm',
      width: 8,
      queries: [{ expr: `60 * sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, outcome="not_found"}[${RATE}]))`, legend: '{{source}}' }],
    },
    {
      kind: 'timeseries',
      title: 'Not-found share',
      description: 'Not-found requests among all requests, per source.',
      unit: 'percentunit',
      width: 8,
      min: 0,
      queries: [
        {
          expr: `sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, outcome="not_found"}[${RATE}])) / sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}}[${RATE}]))`,
          legend: '{{source}}',
        },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Rate-limited and malformed requests',
      description: "429s from Phorge's rate limiter and other 4xx (TLS handshakes and junk sent to the HTTP port show as 400 in the web server log).",
      unit: 'reqpm',
      width: 8,
      queries: [
        { expr: `60 * sum by (source, outcome) (rate(phabwatch_requests_total{${BY_SOURCE}, outcome=~"rate_limited|client_error"}[${RATE}]))`, legend: '{{source}} {{outcome}}' },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Admin, people and settings routes',
      description: 'Requests to configuration, user administration and account settings pages: rare, and worth a look outside working hours.',
      unit: 'reqpm',
      width: 12,
      queries: [
        { expr: `60 * sum by (route_class, hours) (rate(phabwatch_requests_total{${BY_SOURCE}, route_class=~"admin|people|settings"}[${RATE}]))`, legend: '{{route_class}} hours={{hours}}' },
      ],
    },
    {
      kind: 'timeseries',
      title: 'Repository reads over HTTP and SSH',
      description: 'VCS requests over HTTP and SSH clone/fetch sessions: a bulk read of many repositories shows as a burst.',
      unit: 'reqpm',
      width: 12,
      queries: [
        { expr: `60 * sum by (source) (rate(phabwatch_requests_total{${BY_SOURCE}, kind="vcs"}[${RATE}]))`, legend: '{{source}} http' },
        { expr: `60 * sum by (source) (rate(phabwatch_ssh_sessions_total{${BY_SOURCE}, workflow="git-upload-pack"}[${RATE}]))`, legend: '{{source}} ssh git-upload-pack' },
      ],
    },
  ],
};

const webhooks: RowSpec = {
  title: 'Webhooks',
  panels: [
    {
      kind: 'stat',
      title: 'Webhook failures in range',
      description: 'Herald webhook delivery failures in the selected time range.',
      unit: 'short',
      decimals: 0,
      noValue: '0',
      width: 6,
      instant: true,
      thresholds: [
        { color: 'green', value: null },
        { color: 'yellow', value: 1 },
        { color: 'red', value: 10 },
      ],
      queries: [{ expr: `sum(increase(phabwatch_webhook_failures_total{${BY_SOURCE}}[${RANGE}]))`, legend: 'failures' }],
    },
    {
      kind: 'timeseries',
      title: 'Webhook failures by error type',
      description: 'Failures per minute by error type (http, timeout, hook); retry=false failures are permanent and the event is lost for that hook.',
      unit: 'cpm',
      width: 18,
      bars: true,
      queries: [
        { expr: `60 * sum by (error_type, retry) (rate(phabwatch_webhook_failures_total{${BY_SOURCE}}[${RATE}]))`, legend: '{{error_type}} retry={{retry}}' },
      ],
    },
  ],
};

export function securityDashboard(): DashboardJson {
  return buildDashboard(
    {
      uid: 'phabwatch-security',
      title: 'phabwatch / Security',
      description: 'Detection alerts and the signals behind them: authentication failures, logins, off-hours activity, scanning, sensitive routes and webhooks.',
      tags: ['phabwatch', 'phabricator', 'security'],
    },
    commonVariables(),
    [alerts, authentication, offHours, probing, webhooks],
  );
}
