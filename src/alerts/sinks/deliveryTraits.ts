// What a destination may tell the delivery loop about itself, beside the AlertSink interface (sink.ts). All
// optional: a sink that says nothing gets batches of up to 100 notifications and no periodic tick.

export interface DeliveryTraits {
  /** most notifications handed to one deliver() call */
  readonly maxBatch?: number;
  /**
   * one deliver() call never carries two notifications of the same alert: they go in order, in separate calls
   * (Alertmanager keeps one state per alert, so a firing and its resolve in one request would hide the firing)
   */
  readonly oneNotificationPerAlert?: boolean;
  /** how often tick() is called (only if the sink has one) */
  readonly tickEveryMs?: number;
}

export const DEFAULT_MAX_BATCH = 100;
