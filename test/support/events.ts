// Builders for test events and batches, so each test states only the fields it cares about.

import type { PhabEvent } from '../../src/model/event.js';
import type { BatchClose, IngestStore, OffsetAdvance } from '../../src/store/ingestStore.js';

export function makeEvent(overrides: Partial<PhabEvent> = {}): PhabEvent {
  return {
    ts: Date.UTC(2026, 10, 24, 15, 0, 0), source: 'phab', host: 'phab01', kind: 'http', client_ip: '198.51.100.7',
    identity: 'alice', token_id: null, token_type: null, auth: 'session', attribution: 'none', method: 'GET',
    path: '/D123', route: '/D{id}', controller: 'DifferentialRevisionViewController', conduit_method: null,
    status: 200, outcome: 'ok', duration_ms: 57.8, bytes_in: null, bytes_out: 5120, user_agent: null,
    referrer: null, repository: null, request_id: null, webhook_id: null, target: null, error_type: null,
    error_code: null, message: null, file_id: 1, offset: 0, raw: '[raw line]',
    ...overrides,
  };
}

/** Inserts the events and commits them as one batch; returns their ids. */
export function commitEvents(store: IngestStore, events: PhabEvent[], offsets: OffsetAdvance[] = [], close: Partial<BatchClose> = {}): number[] {
  const ids = events.map((e) => store.insertEvent(e));
  store.commit({ offsets, tokens: new Map(), identities: new Map(), ...close });
  return ids;
}
