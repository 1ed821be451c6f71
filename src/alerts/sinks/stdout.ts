// Destination `stdout`: one readable line per notification, for a person watching `phabwatch run` or a
// process supervisor collecting its output (the agent's own logs go to stderr).
//   2026-11-24T07:12:32Z FIRING warning login-bruteforce client_ip=198.51.100.66 category=security: 22 failed ... (alert 2)

import type { Writable } from 'node:stream';
import type { DeliveryTraits } from './deliveryTraits.js';
import { isoTime, labelsText, printable } from './notificationText.js';
import type { AlertNotification, AlertSink, DeliveryResult } from './sink.js';

const KIND_WORD: Record<AlertNotification['kind'], string> = { firing: 'FIRING', resolved: 'RESOLVED', renotify: 'STILL-FIRING' };

export function stdoutLine(n: AlertNotification): string {
  const a = n.alert;
  const labels = labelsText(a.labels);
  return printable(`${isoTime(n.at)} ${KIND_WORD[n.kind]} ${a.severity} ${a.ruleId}${labels ? ` ${labels}` : ''}: ${a.summary} (alert ${a.id})`);
}

export class StdoutSink implements AlertSink, DeliveryTraits {
  readonly name = 'stdout';
  readonly maxBatch = 500;
  private broken: Error | null = null;

  constructor(private readonly out: Writable = process.stdout) {
    // Without a listener, a closed pipe (EPIPE) would be an uncaught error that ends the agent.
    out.on('error', (err: Error) => (this.broken = err));
  }

  async deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult> {
    const closed = this.closedResult();
    if (closed) return closed;
    const text = batch.map((n) => `${stdoutLine(n)}\n`).join('');
    const flushed = this.out.write(text);
    if (!flushed) await drainedOrBroken(this.out);
    return this.closedResult() ?? { ok: true };
  }

  private closedResult(): DeliveryResult | null {
    return this.broken ? { ok: false, retryable: true, error: `standard output is closed: ${this.broken.message}` } : null;
  }
}

function drainedOrBroken(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
    out.once('close', done);
  });
}
