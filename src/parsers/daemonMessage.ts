// Reads the message of a daemons.log EXCEPTION line: PhutilErrorHandler joins an exception chain as
// `(Outer) message {>} (Inner) message`; the taskmaster wraps worker failures in `Error while executing
// Task ID N.` (retried) or `Task "N" encountered a permanent failure and was cancelled.`; Herald's webhook
// worker (HeraldWebhookWorker.php, same sentences in Phabricator and Phorge) says why a delivery failed.

import type { WebhookFailure } from './types.js';

export interface ChainLink {
  /** exception class, e.g. PhabricatorWorkerPermanentFailureException; null if the link has none */
  exceptionClass: string | null;
  message: string;
}

const CHAIN_SEPARATOR = ' {>} ';

/** Splits `(A) x {>} (B) y` into links, outermost first. */
export function splitExceptionChain(text: string): ChainLink[] {
  return text.split(CHAIN_SEPARATOR).map((part) => {
    if (part.startsWith('(')) {
      const close = part.indexOf(') ');
      if (close > 1 && !part.slice(1, close).includes(' ')) {
        return { exceptionClass: part.slice(1, close), message: part.slice(close + 2) };
      }
    }
    return { exceptionClass: null, message: part };
  });
}

const RETRY_TASK = /^Error while executing Task ID (\d+)\./;
const PERMANENT_TASK = /^Task "(\d+)" encountered a permanent failure and was cancelled\./;
/** Taskmaster's verbose progress lines. */
const TASK_PROGRESS = /^(?:Working on task (\d+) \(|Task (\d+) (?:complete!|failed!|yielded\.))/;

export interface TaskContext {
  taskId: string | null;
  /** true: the task will run again; false: cancelled; null: not a taskmaster wrapper */
  willRetry: boolean | null;
}

/** Task id and retry intent from the outermost message of a chain. */
export function taskContext(outerMessage: string): TaskContext {
  let m = RETRY_TASK.exec(outerMessage);
  if (m !== null) return { taskId: m[1]!, willRetry: true };
  m = PERMANENT_TASK.exec(outerMessage);
  if (m !== null) return { taskId: m[1]!, willRetry: false };
  return { taskId: null, willRetry: null };
}

/** Task id from a verbose taskmaster line (`Working on task 12 (HeraldWebhookWorker)...`), or null. */
export function progressTaskId(message: string): string | null {
  const m = TASK_PROGRESS.exec(message);
  return m === null ? null : (m[1] ?? m[2] ?? null);
}

const DELIVERY_FAILED = /^Webhook request \("([^"]*)", to "(.*)"\) failed \(([^/()]*) \/ ([^()]*)\)\. The request will (not )?be retried\./;
const HOOK_DISABLED = /^Associated hook \("([^"]*)"\) for webhook request \("([^"]*)"\) is disabled\./;
const HOOK_BAD_URI = /^Associated hook \("([^"]*)"\) for webhook request \("([^"]*)"\) has invalid fetch URI: (.*)$/;
const OBJECT_GONE = /^Unable to load object \("([^"]*)"\) for webhook request \("([^"]*)"\)\./;
const REQUEST_GONE = /^Unable to load webhook request \("([^"]*)"\)\. It may have been garbage collected\./;
const REQUEST_NOT_QUEUED = /^Webhook request \("([^"]*)"\) is not in "[^"]*" status \(actual status is "([^"]*)"\)\. Declining call to hook\./;
const QUOTED_URI = /URI "([^"]*)"/;

function nonEmpty(text: string | undefined): string | null {
  return text === undefined || text.length === 0 ? null : text;
}

/**
 * The webhook failure described by one message, or null when it is not one of HeraldWebhookWorker's
 * sentences. `willRetry` for delivery failures comes from the sentence itself; every other kind is
 * permanent. (Silent mode fails requests without logging anything, so it never appears here.)
 */
export function webhookFailureIn(message: string): WebhookFailure | null {
  let m = DELIVERY_FAILED.exec(message);
  if (m !== null) {
    return {
      requestId: nonEmpty(m[1]), hookId: null, uri: nonEmpty(m[2]),
      errorType: nonEmpty(m[3]?.trim()), errorCode: nonEmpty(m[4]?.trim()), willRetry: m[5] === undefined,
    };
  }
  m = HOOK_DISABLED.exec(message);
  if (m !== null) {
    return { requestId: nonEmpty(m[2]), hookId: nonEmpty(m[1]), uri: null, errorType: 'hook', errorCode: 'disabled', willRetry: false };
  }
  m = HOOK_BAD_URI.exec(message);
  if (m !== null) {
    const uri = QUOTED_URI.exec(m[3] ?? '');
    return {
      requestId: nonEmpty(m[2]), hookId: nonEmpty(m[1]), uri: uri === null ? null : nonEmpty(uri[1]),
      errorType: 'hook', errorCode: 'uri', willRetry: false,
    };
  }
  m = OBJECT_GONE.exec(message);
  if (m !== null) {
    return { requestId: nonEmpty(m[2]), hookId: null, uri: null, errorType: 'hook', errorCode: 'object', willRetry: false };
  }
  m = REQUEST_GONE.exec(message);
  if (m !== null) {
    return { requestId: nonEmpty(m[1]), hookId: null, uri: null, errorType: 'request', errorCode: 'missing', willRetry: false };
  }
  m = REQUEST_NOT_QUEUED.exec(message);
  if (m !== null) {
    return { requestId: nonEmpty(m[1]), hookId: null, uri: null, errorType: 'request', errorCode: nonEmpty(m[2]), willRetry: false };
  }
  return null;
}
