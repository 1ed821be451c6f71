// daemons.log details that the fixtures cannot express.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitExceptionChain, webhookFailureIn } from '../../src/parsers/daemonMessage.js';
import { PhdDaemonParser } from '../../src/parsers/phdDaemon.js';

test('long exception messages are shortened to at most 500 characters', () => {
  const parser = new PhdDaemonParser('UTC');
  const long = 'y'.repeat(5000);
  const result = parser.parse(`[05-Mar-2024 02:45:00 UTC] [2024-03-05 02:45:00] EXCEPTION: (Exception) ${long} at [<phabricator>/src/x.php:1]`);
  assert.ok(result.ok);
  if (!result.ok || result.record.family !== 'daemon') return;
  assert.ok(result.record.message.length <= 500, `message has ${result.record.message.length} characters`);
  assert.ok(result.record.message.startsWith('(Exception) yyy'));
});

test('isContinuation: library lines, stack frames, and unprefixed lines that start no record', () => {
  const parser = new PhdDaemonParser('UTC');
  const yes = [
    '[29-Nov-2026 18:51:12 UTC] arcanist(), phorge()',
    '[29-Nov-2026 18:51:12 UTC] arcanist(head=master, ref.master=e50d1bc4eaba), phabricator(head=master, ref.master=5720a38cfe95)',
    '[29-Nov-2026 18:51:12 UTC]   #12 PhutilDaemon::execute() called at [<arcanist>/scripts/daemon/exec/exec_daemon.php:127]',
    '  #0 <#3> HeraldWebhookWorker::doWork() called at [<phorge>/src/infrastructure/daemon/workers/PhabricatorWorker.php:139]',
    'arcanist()',
    'STDERR',
    '',
  ];
  const no = [
    '[29-Nov-2026 18:53:30 UTC] [2026-11-29 18:53:30] EXCEPTION: (Exception) Error while executing Task ID 55. at [x:1]',
    '[29-Nov-2026 18:50:57 UTC] 2026-11-29 6:50:57 PM [OVER] Started new daemon overseer (with PID "32368").',
    '[29-Nov-2026 18:50:57 UTC] Working on task 12 (HeraldWebhookWorker)...',
    '[29-Nov-2026 18:50:57 UTC] #1 is not indented',
    '[2026-11-29 18:53:30] EXCEPTION: (Exception) no PHP prefix at [x:1]',
    '2026-11-29 6:50:57 PM [OVER] Started new daemon overseer (with PID "32368").',
    'PHP Fatal error:  Uncaught Exception: boom in /x.php:1',
  ];
  for (const line of yes) assert.equal(parser.isContinuation(line), true, line);
  for (const line of no) assert.equal(parser.isContinuation(line), false, line);
});

test('exception chains split on {>} and keep class names apart from messages', () => {
  assert.deepEqual(splitExceptionChain('(A) one {>} (B) two (with parentheses) {>} no class'), [
    { exceptionClass: 'A', message: 'one' },
    { exceptionClass: 'B', message: 'two (with parentheses)' },
    { exceptionClass: null, message: 'no class' },
  ]);
});

test('webhook sentences: only HeraldWebhookWorker\'s own wording is a webhook failure', () => {
  assert.equal(webhookFailureIn('Webhook request failed.'), null);
  assert.equal(webhookFailureIn('Unable to load object ("PHID-X") for something else.'), null);
  const failure = webhookFailureIn('Webhook request ("PHID-HWBR-1", to "https://x/?a=\\"b\\"") failed (http / 502). The request will be retried.');
  assert.deepEqual(failure, { requestId: 'PHID-HWBR-1', hookId: null, uri: 'https://x/?a=\\"b\\"', errorType: 'http', errorCode: '502', willRetry: true });
});
