// The bounded value sets of the metric attributes (docs/metrics.md). Every metric attribute value comes from one
// of these lists, a configured source name, or a rule id, so no client address, token or username can ever
// become a label. The hot path works with the small integer index of a value; the strings are only looked up
// when a batch's counts are handed to the SDK.

import type { EventKind, Outcome } from '../model/event.js';
import type { RouteClass } from '../attribution/routes.js';

export const EVENT_KINDS: readonly EventKind[] = ['http', 'conduit', 'login', 'vcs', 'ssh', 'webhook', 'daemon'];

/** Kinds counted by `phabwatch.requests` (and turned into request spans, with ssh). */
export const REQUEST_KINDS: ReadonlySet<EventKind> = new Set<EventKind>(['http', 'conduit', 'login', 'vcs']);

export const ROUTE_CLASSES: readonly RouteClass[] = [
  'conduit', 'auth', 'diffusion', 'vcs', 'differential', 'maniphest', 'files', 'static', 'admin', 'people', 'settings',
  'herald', 'search', 'home', 'not_found', 'other',
];

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];
const STATUS_NONE = 5;

export const OUTCOMES: readonly Outcome[] = [
  'ok', 'not_found', 'client_error', 'denied', 'rate_limited', 'server_error', 'auth_failure', 'login_attempt',
  'login_success', 'login_failure', 'retrying', 'failed',
];

export const HOURS = ['business', 'off', 'unknown'] as const;
export const HOURS_BUSINESS = 0;
export const HOURS_OFF = 1;
export const HOURS_UNKNOWN = 2;

export const LOGIN_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['login_attempt', 'login_success', 'login_failure']);

export const SSH_WORKFLOWS = ['git-upload-pack', 'git-receive-pack', 'hg', 'svnserve', 'conduit', 'other'] as const;
const SSH_OTHER = SSH_WORKFLOWS.length - 1;

/** HeraldWebhookWorker's failure kinds; anything else (a future Phorge wording) is `other`. */
export const WEBHOOK_ERROR_TYPES = ['http', 'timeout', 'hook', 'request', 'other'] as const;
const WEBHOOK_OTHER = WEBHOOK_ERROR_TYPES.length - 1;

export const RETRY_VALUES = ['true', 'false'] as const;

/** Conduit method names kept as labels before new ones become `other` (Phorge has a few hundred methods). */
export const MAX_CONDUIT_METHODS = 400;
const CONDUIT_METHOD_SHAPE = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$/;

function indexOf<T extends string>(values: readonly T[]): ReadonlyMap<string, number> {
  return new Map(values.map((v, i) => [v, i]));
}

export const KIND_INDEX = indexOf(EVENT_KINDS);
export const ROUTE_CLASS_INDEX = indexOf(ROUTE_CLASSES);
export const OUTCOME_INDEX = indexOf(OUTCOMES);
const SSH_WORKFLOW_INDEX = indexOf(SSH_WORKFLOWS);
const WEBHOOK_ERROR_INDEX = indexOf(WEBHOOK_ERROR_TYPES);

/** 2xx -> 1, ..., 5xx -> 4; no status (or one outside 100..599) -> `none`. */
export function statusClassIndex(status: number | null): number {
  if (status === null || status < 100 || status >= 600) return STATUS_NONE;
  return Math.floor(status / 100) - 1;
}

/** An SSH workflow as logged (`%C`) -> its label index; git-upload-archive and others are `other`. */
export function sshWorkflowIndex(workflow: string | null): number {
  return workflow === null ? SSH_OTHER : (SSH_WORKFLOW_INDEX.get(workflow) ?? SSH_OTHER);
}

export function webhookErrorIndex(errorType: string | null): number {
  return errorType === null ? WEBHOOK_OTHER : (WEBHOOK_ERROR_INDEX.get(errorType) ?? WEBHOOK_OTHER);
}

/**
 * Conduit method names as labels: only names Phabricator recognised (`%m` is set only then) and shaped like a
 * method (`differential.revision.search`), at most MAX_CONDUIT_METHODS distinct ones; the rest is `other`.
 * Each distinct name is checked once.
 */
export class ConduitMethodLabels {
  private readonly known = new Map<string, string>();
  private accepted = 0;

  label(method: string | null): string {
    if (method === null) return 'other';
    let label = this.known.get(method);
    if (label !== undefined) return label;
    label = this.accepted < MAX_CONDUIT_METHODS && CONDUIT_METHOD_SHAPE.test(method) ? method : 'other';
    if (label !== 'other') this.accepted++;
    // Rejected names are remembered too (bounded), so junk is not re-tested on every call.
    if (this.known.size < MAX_CONDUIT_METHODS * 4) this.known.set(method, label);
    return label;
  }
}
