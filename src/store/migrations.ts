// Schema migrations, applied in order inside one transaction each; meta.schema_version records the last.
// Never edit a released migration: add a new one. docs/schema.md documents the resulting tables.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, checkpoints, rejects, tokens, identities, meta, analyst views',
    sql: `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per file identity (device, inode, fingerprint of the first bytes). Its id is events.file_id.
CREATE TABLE checkpoints (
  id               INTEGER PRIMARY KEY,
  source           TEXT    NOT NULL,
  path             TEXT    NOT NULL,   -- last path the file was seen at
  dev              TEXT    NOT NULL,   -- 64-bit device and inode numbers, as decimal text
  ino              TEXT    NOT NULL,
  fingerprint      TEXT    NOT NULL,   -- sha256 (hex) of the first fingerprint_len bytes
  fingerprint_len  INTEGER NOT NULL,
  offset           INTEGER NOT NULL,   -- bytes consumed: just after the last line stored
  compressed       INTEGER NOT NULL DEFAULT 0,
  state            TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired')),
  lines            INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX checkpoints_by_source ON checkpoints(source, state);

CREATE TABLE events (
  id             INTEGER PRIMARY KEY,
  ts             INTEGER NOT NULL,     -- ms since epoch, UTC, from the line's own timestamp
  source         TEXT    NOT NULL,
  host           TEXT,
  kind           TEXT    NOT NULL,
  client_ip      TEXT,
  identity       TEXT,
  token_id       TEXT,
  token_type     TEXT,
  auth           TEXT    NOT NULL,
  attribution    TEXT    NOT NULL,
  method         TEXT,
  path           TEXT,
  route          TEXT,
  controller     TEXT,
  conduit_method TEXT,
  status         INTEGER,
  outcome        TEXT    NOT NULL,
  duration_ms    REAL,
  bytes_in       INTEGER,
  bytes_out      INTEGER,
  user_agent     TEXT,
  referrer       TEXT,
  repository     TEXT,
  request_id     TEXT,
  webhook_id     TEXT,
  target         TEXT,
  error_type     TEXT,
  error_code     TEXT,
  message        TEXT,
  file_id        INTEGER NOT NULL,
  offset         INTEGER NOT NULL,
  raw            TEXT    NOT NULL      -- the original line, secrets masked
);
-- The analyst questions: by time, by identity, by token, by client address.
CREATE INDEX events_by_ts ON events(ts);
CREATE INDEX events_by_identity ON events(identity, ts) WHERE identity IS NOT NULL;
CREATE INDEX events_by_token ON events(token_id, ts) WHERE token_id IS NOT NULL;
CREATE INDEX events_by_client ON events(client_ip, ts) WHERE client_ip IS NOT NULL;

CREATE TABLE rejects (
  id        INTEGER PRIMARY KEY,
  seen_at   INTEGER NOT NULL,          -- wall clock (ms) when the line was read
  source    TEXT    NOT NULL,
  file_id   INTEGER,
  offset    INTEGER,
  length    INTEGER,
  reason    TEXT    NOT NULL,
  detail    TEXT,
  sample    TEXT                       -- the start of the line, secrets masked
);
CREATE INDEX rejects_by_time ON rejects(seen_at);

-- Token registry (imported from conduit_token + user) plus tokens only ever observed in logs.
CREATE TABLE tokens (
  token_id     TEXT PRIMARY KEY,       -- keyed HMAC fingerprint; the raw token is never stored
  token_type   TEXT,
  hint         TEXT,                   -- first 8 characters, as Phabricator's UI shows them
  name         TEXT,
  owner        TEXT,
  owner_phid   TEXT,
  expires_at   INTEGER,
  is_bot       INTEGER NOT NULL DEFAULT 0,
  is_admin     INTEGER NOT NULL DEFAULT 0,
  is_disabled  INTEGER NOT NULL DEFAULT 0,
  in_registry  INTEGER NOT NULL DEFAULT 0,
  imported_at  INTEGER,
  first_seen   INTEGER,
  last_seen    INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_by_owner ON tokens(owner);

CREATE TABLE identities (
  username     TEXT PRIMARY KEY,
  phid         TEXT,
  is_bot       INTEGER NOT NULL DEFAULT 0,
  is_admin     INTEGER NOT NULL DEFAULT 0,
  is_disabled  INTEGER NOT NULL DEFAULT 0,
  in_registry  INTEGER NOT NULL DEFAULT 0,
  imported_at  INTEGER,
  first_seen   INTEGER,
  last_seen    INTEGER
) WITHOUT ROWID;

CREATE VIEW events_readable AS
  SELECT strftime('%Y-%m-%dT%H:%M:%fZ', e.ts / 1000.0, 'unixepoch') AS time, e.*, c.path AS file
  FROM events e LEFT JOIN checkpoints c ON c.id = e.file_id;

CREATE VIEW token_timeline AS
  SELECT e.token_id, t.hint AS token_hint, t.name AS token_name, t.owner AS token_owner, e.attribution,
         strftime('%Y-%m-%dT%H:%M:%fZ', e.ts / 1000.0, 'unixepoch') AS time, e.ts, e.identity, e.client_ip,
         e.kind, e.method, e.path, e.conduit_method, e.status, e.outcome, e.user_agent, e.source, e.id AS event_id
  FROM events e LEFT JOIN tokens t ON t.token_id = e.token_id
  WHERE e.token_id IS NOT NULL;

CREATE VIEW identity_timeline AS
  SELECT e.identity, strftime('%Y-%m-%dT%H:%M:%fZ', e.ts / 1000.0, 'unixepoch') AS time, e.ts, e.client_ip,
         e.kind, e.auth, e.method, e.path, e.controller, e.conduit_method, e.status, e.outcome, e.token_id,
         e.attribution, e.source, e.id AS event_id
  FROM events e
  WHERE e.identity IS NOT NULL;

CREATE VIEW token_addresses AS
  SELECT token_id, client_ip, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS requests
  FROM events WHERE token_id IS NOT NULL AND client_ip IS NOT NULL
  GROUP BY token_id, client_ip;

CREATE VIEW identity_addresses AS
  SELECT identity, client_ip, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS requests
  FROM events WHERE identity IS NOT NULL AND client_ip IS NOT NULL
  GROUP BY identity, client_ip;

CREATE VIEW reject_summary AS
  SELECT source, reason, count(*) AS rejects, min(seen_at) AS first_seen_at, max(seen_at) AS last_seen_at
  FROM rejects GROUP BY source, reason;
`,
  },
  {
    version: 2,
    description: 'alerts, alert evidence, notification outbox, rule engine state',
    sql: `
-- One row per alert: identity = rule_id + group_key (its labels). At most one open (pending/firing) per identity.
CREATE TABLE alerts (
  id               INTEGER PRIMARY KEY,
  rule_id          TEXT    NOT NULL,
  severity         TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  group_key        TEXT    NOT NULL,   -- canonical JSON of the group values
  labels           TEXT    NOT NULL,   -- JSON object: the group values (and the rule's labels)
  summary          TEXT    NOT NULL,
  annotations      TEXT    NOT NULL,   -- JSON object: summary, runbook_url, description
  started_at       INTEGER NOT NULL,   -- event time (ms) the condition first held
  fired_at         INTEGER,            -- event time it became firing
  ended_at         INTEGER,            -- event time it resolved
  last_held_at     INTEGER NOT NULL,   -- event time the condition last held
  last_notified_at INTEGER,            -- event time of the last notification
  value            REAL,
  evidence         TEXT    NOT NULL,   -- JSON: window, value, bound, baseline, first/last event time, late events...
  late_events      INTEGER NOT NULL DEFAULT 0,
  updated_at       INTEGER NOT NULL    -- wall clock (ms)
);
CREATE UNIQUE INDEX alerts_open_identity ON alerts(rule_id, group_key) WHERE state != 'resolved';
CREATE INDEX alerts_by_state ON alerts(state, started_at);
CREATE INDEX alerts_by_rule ON alerts(rule_id, started_at);

-- Evidence: sample events of an alert, with their masked raw lines (kept when events age out).
CREATE TABLE alert_events (
  alert_id  INTEGER NOT NULL,
  event_id  INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  source    TEXT    NOT NULL,
  file_id   INTEGER,
  offset    INTEGER,
  raw       TEXT    NOT NULL,
  PRIMARY KEY (alert_id, event_id)
) WITHOUT ROWID;

-- The outbox: one row per notification to deliver (a transition, a re-notification), written in the same
-- transaction as the transition, so a restart neither loses nor repeats one.
CREATE TABLE alert_notifications (
  id          INTEGER PRIMARY KEY,
  alert_id    INTEGER NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('firing', 'resolved', 'renotify')),
  at          INTEGER NOT NULL,        -- event time of the transition
  created_at  INTEGER NOT NULL         -- wall clock
);
CREATE INDEX alert_notifications_by_alert ON alert_notifications(alert_id);

-- Rule engine state: per rule and group (windows, baselines, remembered values), JSON.
CREATE TABLE rule_state (
  rule_id     TEXT    NOT NULL,
  group_key   TEXT    NOT NULL,
  state       TEXT    NOT NULL,
  expires_at  INTEGER NOT NULL,        -- event time after which the state holds nothing (windows empty, history forgotten)
  PRIMARY KEY (rule_id, group_key)
) WITHOUT ROWID;

CREATE TABLE engine_state (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;

CREATE VIEW open_alerts AS
  SELECT id, rule_id, severity, state, labels, summary,
         strftime('%Y-%m-%dT%H:%M:%fZ', started_at / 1000.0, 'unixepoch') AS started,
         strftime('%Y-%m-%dT%H:%M:%fZ', fired_at / 1000.0, 'unixepoch') AS fired,
         value, late_events, evidence
  FROM alerts WHERE state != 'resolved';

CREATE VIEW alert_timeline AS
  SELECT a.id AS alert_id, a.rule_id, a.state, a.labels, n.kind AS notification,
         strftime('%Y-%m-%dT%H:%M:%fZ', n.at / 1000.0, 'unixepoch') AS at
  FROM alert_notifications n JOIN alerts a ON a.id = n.alert_id;
`,
  },
  {
    version: 3,
    description: 'alert delivery state: one row per notification and destination, and each destination\'s queue cursor',
    sql: `
-- Delivery of the outbox (alert_notifications) to each destination (sink: stdout, alertmanager, webhook:N, otlp-logs).
-- A row is pending until the destination acknowledged it (delivered), it was given up (dropped: refused by the
-- destination, or pushed out of a full backlog) or it was never to be sent (skipped: below alerts.route.min_severity,
-- or older than alerts.max_age). Times are wall clock (ms).
CREATE TABLE alert_deliveries (
  notification_id  INTEGER NOT NULL,
  sink             TEXT    NOT NULL,
  status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dropped', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,   -- not tried again before this (backoff after a failed attempt)
  queued_at        INTEGER NOT NULL,
  delivered_at     INTEGER,
  dropped_at       INTEGER,            -- when it was dropped or skipped
  reason           TEXT,               -- why it was dropped or skipped
  last_error       TEXT,               -- what the last failed attempt came to
  PRIMARY KEY (notification_id, sink)
) WITHOUT ROWID;
CREATE INDEX alert_deliveries_pending ON alert_deliveries(sink, notification_id) WHERE status = 'pending';
CREATE INDEX alert_deliveries_finished ON alert_deliveries(coalesce(delivered_at, dropped_at)) WHERE status != 'pending';

-- Per destination: the last outbox row it has queued (rows after it are new to it).
CREATE TABLE alert_delivery_cursors (
  sink                  TEXT PRIMARY KEY,
  last_notification_id  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE VIEW alert_delivery_status AS
  SELECT d.sink, d.status, d.attempts, n.id AS notification_id, n.kind, a.id AS alert_id, a.rule_id, a.severity, a.labels,
         strftime('%Y-%m-%dT%H:%M:%fZ', n.at / 1000.0, 'unixepoch') AS at,
         strftime('%Y-%m-%dT%H:%M:%fZ', d.delivered_at / 1000.0, 'unixepoch') AS delivered,
         strftime('%Y-%m-%dT%H:%M:%fZ', d.dropped_at / 1000.0, 'unixepoch') AS dropped,
         d.reason, d.last_error
  FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id LEFT JOIN alerts a ON a.id = n.alert_id;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
