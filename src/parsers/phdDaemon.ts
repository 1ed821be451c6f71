// phd's daemons.log -> DaemonRecord. PHP's error_log prefixes every line with `[29-Nov-2026 18:53:30 UTC] `;
// after it come PhutilErrorHandler lines (`[Y-m-d H:i:s] EXCEPTION: …`, `ERROR n: …`, `PHLOG: …`, each
// followed by a library line and stack lines), overseer lines (`2026-11-29 6:50:57 PM [OVER] …`) and
// PHP's own errors. Herald webhook failures become category 'webhook'. A message with newlines (a failed
// command's output) continues on lines without the prefix.

import {
  progressTaskId, splitExceptionChain, taskContext, webhookFailureIn, type ChainLink,
} from './daemonMessage.js';
import { failure, showValue } from './failures.js';
import { parseOverseerTime, parsePhpDateTime, parsePhpLogTime } from './timestamps.js';
import { TimestampCache } from './timestampCache.js';
import type { DaemonRecord, LineParser, ParseResult, WebhookFailure } from './types.js';

const MAX_MESSAGE_LENGTH = 500;
/** `arcanist(), phorge()` or `arcanist(head=master, ref.master=…), phabricator(…)`: the versions line of a trace. */
const LIBRARY_LIST = /^[A-Za-z0-9_.-]+\([^()]*\)(?:, [A-Za-z0-9_.-]+\([^()]*\))*$/;
/** `  #3 <#2> Class::method() called at [<phorge>/src/…:139]` */
const STACK_FRAME = /^ {1,2}#\d+ /;
const OVERSEER = /^(\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2} [AP]M) \[([A-Za-z0-9 ]{1,8})\] ?(.*)$/;
const HANDLER_KIND = /^(EXCEPTION|PHLOG|ERROR (\d+)): /;
const PHP_ERROR = /^PHP ([A-Za-z ]+?): +(.*)$/;
const PHP_UNCAUGHT = /Uncaught ([A-Za-z_\\][A-Za-z0-9_\\]*)/;
const LOCATION_SUFFIX = / at \[[^\]]*\]$/;
const ERROR_LEVEL = /error/i;

function shorten(message: string): string {
  const trimmed = message.trim();
  return trimmed.length > MAX_MESSAGE_LENGTH ? trimmed.slice(0, MAX_MESSAGE_LENGTH - 1) + '…' : trimmed;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `[dd-Mon-yyyy …] ` at the start of the line: where its closing bracket is, or -1. */
function phpPrefixEnd(line: string): number {
  if (line.charCodeAt(0) !== 91 || !isDigit(line.charCodeAt(1)) || !isDigit(line.charCodeAt(2)) || line.charCodeAt(3) !== 45) return -1;
  const close = line.indexOf(']', 4);
  return close > 0 && close < 64 ? close : -1;
}

/** `[yyyy-mm-dd hh:mm:ss] ` (PhutilErrorHandler's own stamp) at the start of `body`: closing bracket or -1. */
function handlerStampEnd(body: string): number {
  if (body.charCodeAt(0) !== 91 || !isDigit(body.charCodeAt(1)) || !isDigit(body.charCodeAt(4)) || body.charCodeAt(5) !== 45) return -1;
  const close = body.indexOf('] ', 6);
  return close > 0 && close < 32 ? close : -1;
}

/** The message after PHP's prefix (the whole line when it has none). */
function bodyOf(line: string): string {
  const close = phpPrefixEnd(line);
  if (close === -1) return line;
  return line.charCodeAt(close + 1) === 32 ? line.slice(close + 2) : line.slice(close + 1);
}

function isTraceLine(body: string): boolean {
  return STACK_FRAME.test(body) || LIBRARY_LIST.test(body);
}

/** A line that begins a record of its own even without PHP's prefix. */
function startsRecord(line: string): boolean {
  return handlerStampEnd(line) !== -1 || OVERSEER.test(line) || PHP_ERROR.test(line);
}

interface Classified {
  category: DaemonRecord['category'];
  logType: string | null;
  taskId: string | null;
  exceptionClass: string | null;
  message: string;
  webhook: WebhookFailure | null;
}

function innermostClass(links: readonly ChainLink[]): string | null {
  for (let i = links.length - 1; i >= 0; i--) {
    const cls = links[i]!.exceptionClass;
    if (cls !== null) return cls;
  }
  return null;
}

/** EXCEPTION lines: the chain, its task, and a webhook failure when one of its links describes one. */
function classifyException(text: string): Classified {
  const chain = text.replace(LOCATION_SUFFIX, '');
  const links = splitExceptionChain(chain);
  const task = taskContext(links[0]!.message);
  let webhook: WebhookFailure | null = null;
  for (let i = links.length - 1; i >= 0 && webhook === null; i--) webhook = webhookFailureIn(links[i]!.message);
  return {
    category: webhook === null ? 'failure' : 'webhook',
    logType: 'EXCEPTION',
    taskId: task.taskId,
    exceptionClass: innermostClass(links),
    message: shorten(chain),
    webhook,
  };
}

function classifyHandlerLine(kind: RegExpExecArray, rest: string): Classified {
  const text = rest.slice(kind[0].length);
  if (kind[1] === 'EXCEPTION') return classifyException(text);
  const message = shorten(text.replace(LOCATION_SUFFIX, ''));
  return {
    category: 'failure',
    logType: kind[2] !== undefined ? 'ERROR' : 'PHLOG',
    taskId: null,
    exceptionClass: null,
    message,
    webhook: null,
  };
}

function info(logType: string | null, message: string): Classified {
  return { category: 'info', logType, taskId: progressTaskId(message), exceptionClass: null, message: shorten(message), webhook: null };
}

/** `PHP Fatal error:  Uncaught Exception: …`: fatal kinds are failures, warnings and notices are info. */
function classifyPhpError(level: string, message: string): Classified {
  const fatal = ERROR_LEVEL.test(level);
  const uncaught = PHP_UNCAUGHT.exec(message);
  return {
    category: fatal ? 'failure' : 'info',
    logType: 'PHP',
    taskId: null,
    exceptionClass: uncaught === null ? null : uncaught[1]!,
    message: shorten(`${level}: ${message}`),
    webhook: null,
  };
}

export class PhdDaemonParser implements LineParser {
  readonly sourceType = 'phd-daemon' as const;
  readonly format = '';
  private readonly prefixTimes: TimestampCache;
  private readonly handlerTimes: TimestampCache;

  constructor(private readonly timezone: string) {
    this.prefixTimes = new TimestampCache((text) => parsePhpLogTime(text, timezone));
    this.handlerTimes = new TimestampCache((text) => parsePhpDateTime(text, timezone));
  }

  /**
   * Trace lines (library versions, stack frames) belong to the EXCEPTION before them. So does a line
   * without PHP's prefix that starts no record: PHP writes a message containing newlines (a
   * CommandException with the command's output) after a single prefix.
   */
  isContinuation(line: string): boolean {
    const hasPrefix = phpPrefixEnd(line) !== -1;
    if (isTraceLine(hasPrefix ? bodyOf(line) : line)) return true;
    return !hasPrefix && !startsRecord(line);
  }

  parse(input: string): ParseResult {
    const line = input.charCodeAt(input.length - 1) === 13 ? input.slice(0, -1) : input;
    let ts = Number.NaN;
    let body = line;
    const prefixEnd = phpPrefixEnd(line);
    const hasPrefix = prefixEnd !== -1;
    if (hasPrefix) {
      ts = this.prefixTimes.at(line, 1, prefixEnd);
      if (Number.isNaN(ts)) {
        return failure('bad_timestamp', `PHP log prefix: cannot read ${showValue(line.slice(1, prefixEnd))} as a date`);
      }
      body = bodyOf(line);
    }

    let classified: Classified | null = null;
    if (isTraceLine(body)) {
      // A trace line whose record is not here (the file started mid-trace): keep it as information.
      classified = info(null, body);
    }
    const stampEnd = classified === null ? handlerStampEnd(body) : -1;
    if (stampEnd !== -1) {
      if (!hasPrefix) ts = this.handlerTimes.at(body, 1, stampEnd);
      const rest = body.slice(stampEnd + 2);
      const kind = HANDLER_KIND.exec(rest);
      classified = kind === null ? info(null, rest) : classifyHandlerLine(kind, rest);
    }
    if (classified === null) {
      const overseer = OVERSEER.exec(body);
      if (overseer !== null) {
        if (!hasPrefix) ts = parseOverseerTime(overseer[1]!, this.timezone);
        classified = info(overseer[2]!.trim(), overseer[3]!);
      }
    }
    if (classified === null) {
      const php = PHP_ERROR.exec(body);
      if (php !== null) classified = classifyPhpError(php[1]!, php[2]!);
    }
    if (classified === null) {
      if (!hasPrefix) {
        return failure('format_mismatch', `expected PHP's '[dd-Mon-yyyy hh:mm:ss zone] ' prefix or a daemon log timestamp at column 0, got ${showValue(line)}`);
      }
      classified = info(null, body);
    }
    if (Number.isNaN(ts)) {
      return failure('bad_timestamp', `cannot read the time of the daemon log line ${showValue(line)}`);
    }
    const record: DaemonRecord = { family: 'daemon', ts, ...classified };
    return { ok: true, record };
  }
}
