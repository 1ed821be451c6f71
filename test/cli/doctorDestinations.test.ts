// doctor's view of the delivery queue: a destination whose notifications wait too long is named, with its last
// error; a queue that moves is not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { checkDeliveryQueue } from '../../src/cli/doctorDestinations.js';
import type { Check } from '../../src/cli/doctor.js';
import { openStore } from '../../src/store/database.js';
import { tempDir } from '../support/cli.js';

test('deliveries pending for more than five minutes are reported per destination, with the last error', () => {
  const dir = tempDir('doctor-queue');
  const db = openStore(join(dir.path, 'queue.db'));
  try {
    const now = Date.UTC(2026, 10, 29, 12);
    db.prepare(`INSERT INTO alerts (id, rule_id, severity, state, group_key, labels, summary, annotations, started_at, last_held_at, evidence, updated_at)
      VALUES (1, 'login-bruteforce', 'warning', 'firing', '{}', '{}', 's', '{}', 0, 0, '{}', 0)`).run();
    const notify = db.prepare('INSERT INTO alert_notifications (id, alert_id, kind, at, created_at) VALUES (?, 1, ?, 0, 0)');
    notify.run(1, 'firing');
    notify.run(2, 'resolved');
    const deliver = db.prepare(`INSERT INTO alert_deliveries (notification_id, sink, status, attempts, next_attempt_at, queued_at, last_error)
      VALUES (?, ?, ?, ?, 0, ?, ?)`);
    deliver.run(1, 'alertmanager', 'pending', 7, now - 20 * 60_000, 'connect ECONNREFUSED 127.0.0.1:9093');
    deliver.run(2, 'alertmanager', 'pending', 3, now - 10 * 60_000, 'HTTP 503');
    deliver.run(1, 'webhook:0', 'pending', 0, now - 60_000, null); // queued a minute ago: moving
    deliver.run(1, 'stdout', 'delivered', 1, now - 30 * 60_000, null);
    const checks: Check[] = [];
    checkDeliveryQueue(db, checks, now);
    assert.deepEqual(checks, [{
      status: 'warn', subject: 'alerts alertmanager', message: '2 notifications waiting, the oldest for 20 min', details: ['last error: HTTP 503'],
    }]);
  } finally {
    db.close();
    dir.remove();
  }
});
