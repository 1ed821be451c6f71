// phd's daemons.log as a running Phorge writes it (reference section 3.2 and 9): every line carries PHP's
// `error_log` prefix; EXCEPTION messages carry PhutilErrorHandler's second timestamp, the exception
// chain joined with ` {>} `, then the library line `arcanist(), phorge()` and `  #N ...` stack frames.

import type { DaemonEvent, DaemonHappening } from './happenings.js';
import { ServerClock } from './timestamps.js';

const UTC_CLOCK = new ServerClock('UTC');

const WORKER_FILE = '<phorge>/src/applications/herald/worker/HeraldWebhookWorker.php';

/** Where each message is thrown, as PhutilErrorHandler reports the root exception's file and line. */
const THROWN_AT = {
  retry: `${WORKER_FILE}:219`,
  notRetried: `${WORKER_FILE}:230`,
  hookDisabled: `${WORKER_FILE}:52`,
} as const;

/** The taskmaster's stack under a failed webhook task. `<#3>` marks frames of the inner exception. */
const WEBHOOK_TASK_STACK: readonly string[] = [
  '  #0 <#3> HeraldWebhookWorker::doWork() called at [<phorge>/src/infrastructure/daemon/workers/PhabricatorWorker.php:139]',
  '  #1 <#3> PhabricatorWorker::executeTask() called at [<phorge>/src/infrastructure/daemon/workers/storage/PhabricatorWorkerActiveTask.php:171]',
  '  #2 <#3> PhabricatorWorkerActiveTask::executeTask() called at [<phorge>/src/infrastructure/daemon/workers/PhabricatorTaskmasterDaemon.php:22]',
  '  #3 PhabricatorTaskmasterDaemon::run() called at [<arcanist>/src/daemon/PhutilDaemon.php:184]',
  '  #4 PhutilDaemon::execute() called at [<arcanist>/scripts/daemon/exec/exec_daemon.php:127]',
];

function exceptionMessage(event: Exclude<DaemonEvent, { kind: 'overseer' }>): string {
  switch (event.kind) {
    case 'webhook-retry':
      return `(Exception) Error while executing Task ID ${event.taskId}. {>} (Exception) Webhook request ` +
        `("${event.requestPhid}", to "${event.uri}") failed (${event.errorType} / ${event.errorCode}). ` +
        `The request will be retried. at [${THROWN_AT.retry}]`;
    case 'webhook-not-retried':
      return `(Exception) Task "${event.taskId}" encountered a permanent failure and was cancelled. {>} ` +
        `(PhabricatorWorkerPermanentFailureException) Webhook request ("${event.requestPhid}", to ` +
        `"${event.uri}") failed (${event.errorType} / ${event.errorCode}). The request will not be retried. ` +
        `at [${THROWN_AT.notRetried}]`;
    case 'webhook-hook-disabled':
      return `(Exception) Task "${event.taskId}" encountered a permanent failure and was cancelled. {>} ` +
        `(PhabricatorWorkerPermanentFailureException) Associated hook ("${event.hookPhid}") for webhook ` +
        `request ("${event.requestPhid}") is disabled. at [${THROWN_AT.hookDisabled}]`;
  }
}

/** Renders everything one daemon happening writes, one string per line (without newlines). */
export function renderDaemonLines(d: DaemonHappening, clock: ServerClock = UTC_CLOCK): string[] {
  const prefix = clock.phpErrorLogPrefix(d.atMs);
  const event = d.event;
  if (event.kind === 'overseer') {
    return [`${prefix} ${clock.overseerTimestamp(d.atMs)} [${event.logType}] ${event.message}`];
  }
  const lines = [`${prefix} [${clock.phutilTimestamp(d.atMs)}] EXCEPTION: ${exceptionMessage(event)}`];
  lines.push(`${prefix} arcanist(), phorge()`);
  for (const frame of WEBHOOK_TASK_STACK) lines.push(`${prefix} ${frame}`);
  return lines;
}
