// The one small interface every alert destination implements (one file each in this folder, falcosidekick-style):
// a destination receives notifications that the engine already decided on, and only says whether it delivered
// them. It never decides whether an alert fires.

import type { Severity } from '../../rules/model.js';
import type { Evidence, NotificationKind } from '../alertBook.js';

/** A notification from the outbox (alert_notifications), with its alert as it is now. */
export interface AlertNotification {
  /** alert_notifications.id: stable, so a destination can deduplicate a re-delivery */
  id: number;
  kind: NotificationKind;
  /** event time of the transition (ms) */
  at: number;
  alert: {
    id: number;
    ruleId: string;
    severity: Severity;
    state: 'pending' | 'firing' | 'resolved';
    labels: Record<string, string>;
    summary: string;
    annotations: Record<string, string | null>;
    startedAt: number;
    firedAt: number | null;
    endedAt: number | null;
    evidence: Evidence;
    /** sample events (masked raw lines) */
    samples: { eventId: number; ts: number; source: string; fileId: number | null; offset: number | null; raw: string }[];
  };
}

/** What a delivery attempt came to. A retryable failure is tried again later with backoff. */
export type DeliveryResult = { ok: true } | { ok: false; retryable: boolean; error: string };

export interface AlertSink {
  /** stable name, used in the deliveries table and metrics: stdout, alertmanager, webhook:<n>, otlp-logs */
  readonly name: string;
  deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult>;
  /** optional periodic work, e.g. Alertmanager's re-send of firing alerts */
  tick?(firing: readonly AlertNotification['alert'][], now: number): Promise<void>;
  close?(): Promise<void>;
}
