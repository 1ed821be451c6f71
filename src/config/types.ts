// The validated shape of phabwatch.yaml. Loading and validation live in load.ts; everything
// downstream receives this (durations already in milliseconds, paths already absolute).

export type SourceType = 'phabricator-access' | 'phabricator-ssh' | 'phd-daemon' | 'nginx' | 'apache';

export const SOURCE_TYPES: readonly SourceType[] = [
  'phabricator-access', 'phabricator-ssh', 'phd-daemon', 'nginx', 'apache',
];

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface SourceConfig {
  name: string;
  type: SourceType;
  /** absolute path or glob */
  path: string;
  /** format string; null means the type's default (Phabricator defaults, nginx/apache `combined`) */
  format: string | null;
  /** where to start in a file never seen before */
  start_at: 'beginning' | 'end';
  /** host name recorded for lines that carry none (webserver and daemon logs) */
  host: string | null;
  /** zone for timestamps written without an offset (daemon log, some custom formats); defaults to `timezone` */
  timezone: string;
  /** how long a rotated-away file keeps being read after its last new byte */
  rotate_wait_ms: number;
  /** lines longer than this are cut, counted in `rejects`, and skipped */
  max_line_bytes: number;
  /** how often file sizes and paths are checked (fs.watch only makes it sooner) */
  poll_interval_ms: number;
}

export interface BusinessHours {
  days: Weekday[];
  /** minutes after midnight, local time */
  start_minute: number;
  end_minute: number;
  /** YYYY-MM-DD dates, in each identity's own zone */
  holidays: string[];
}

export interface IdentitiesConfig {
  /** absolute path of a token registry export (same formats as `tokens import`), or null */
  registry: string | null;
  bots: string[];
  timezones: Record<string, string>;
  cluster_networks: string[];
}

export interface StoreConfig {
  path: string;
  retention: {
    events_ms: number;
    rejects_ms: number;
  };
}

export interface RulesConfig {
  /** absolute path of the user's rule folder (its rules replace shipped ones with the same id), or null */
  dir: string | null;
  /** rule ids switched off (shipped or the user's) */
  disabled: string[];
  /** how far behind the newest event time an event may arrive and still be on time */
  allowed_lateness_ms: number;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetryConfig {
  /** null: no OTLP export (config `telemetry.otlp` absent and no OTEL_EXPORTER_OTLP_* endpoint set) */
  otlp: {
    /** base URL; signals go to <endpoint>/v1/traces, /v1/metrics, /v1/logs */
    endpoint: string;
    protocol: OtlpProtocol;
    traces: boolean;
    metrics: boolean;
    logs: boolean;
    headers: Record<string, string>;
    timeout_ms: number;
    /** how often metrics are pushed */
    metrics_interval_ms: number;
  } | null;
  /** Prometheus scrape endpoint (host:port), or null */
  prometheus: { host: string; port: number } | null;
  /** share of request spans kept: errors (5xx, auth failures...), flagged (counted by a rule that held), the rest */
  sample: { errors: number; flagged: number; other: number };
  /** resource attributes */
  service_name: string;
  /** name of the Phabricator/Phorge instance watched (resource attribute phabricator.instance) */
  instance: string | null;
}

export interface AlertmanagerSinkConfig {
  url: string;
  resend_ms: number;
  headers: Record<string, string>;
}

export interface WebhookSinkConfig {
  url: string;
  format: 'json' | 'slack';
  headers: Record<string, string>;
}

export interface AlertsConfig {
  stdout: boolean;
  alertmanager: AlertmanagerSinkConfig | null;
  webhooks: WebhookSinkConfig[];
  /** alerts below this severity are not delivered (they are still stored) */
  min_severity: 'info' | 'warning' | 'critical';
  /** undelivered notifications kept per destination; beyond, the oldest are dropped and counted */
  max_backlog: number;
  /**
   * notifications about something older than this (event time, against the wall clock when `run` first queues
   * them) are not delivered but marked skipped, so catching up on old logs pages nobody; 0: no limit
   */
  max_age_ms: number;
  /** base URL for generatorURL links (e.g. an internal page that runs `phabwatch alerts show`), or null */
  external_url: string | null;
}

export interface PhabwatchConfig {
  /** absolute path of the file this came from; null for the built-in defaults */
  file: string | null;
  store: StoreConfig;
  timezone: string;
  business_hours: BusinessHours;
  sources: SourceConfig[];
  identities: IdentitiesConfig;
  rules: RulesConfig;
  telemetry: TelemetryConfig;
  alerts: AlertsConfig;
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent' };
}
