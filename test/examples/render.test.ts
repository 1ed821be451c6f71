// The renderers reproduce, character for character, the lines observed on a running Phorge
// (shared/reference/phabricator-logs.md, section 9), and the escaping rules of section 1.3.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { nginxEscape, phorgeCEscape, phorgeEncodePath, browserEncodePath } from '../../examples/generate/escaping.js';
import type { DaemonHappening, HttpHappening, SshHappening } from '../../examples/generate/happenings.js';
import { Prng } from '../../examples/generate/prng.js';
import {
  renderDaemonLines, renderNginxCombined, renderPhabricatorAccess, renderSshLine, ServerClock,
} from '../../examples/generate/traffic.js';
import { WriteOrderQueue } from '../../examples/generate/write-order-queue.js';

const UTC = new ServerClock('UTC');

function request(overrides: Partial<HttpHappening>): HttpHappening {
  return {
    type: 'http', startMs: Date.UTC(2026, 10, 29, 18, 53, 9), endMs: Date.UTC(2026, 10, 29, 18, 53, 9, 140),
    durationUs: 133152, clientIp: '127.0.0.1', pid: 30739, host: 'vm', method: 'POST',
    path: '/auth/login/password:self/', query: null, protocol: 'HTTP/1.1', rawRequestLine: null, user: null,
    controller: 'PhabricatorAuthLoginController', conduitMethod: null, referrer: null, userAgent: null,
    remoteUser: null, phorgeStatus: 200, webStatus: 200, bytesSent: 5923, ...overrides,
  };
}

describe('Phorge access-log lines', () => {
  it('match the observed login POST, with %U percent-encoded', () => {
    assert.equal(renderPhabricatorAccess(request({}), UTC),
      '[Sun, 29 Nov 2026 18:53:09 +0000]\t30739\tvm\t127.0.0.1\t-\tPhabricatorAuthLoginController\t-\t/auth/login/password%3Aself/\t-\t200\t133152');
  });

  it('match the observed Conduit call and the anonymous 404 logged as 200', () => {
    const conduit = request({ startMs: Date.UTC(2026, 10, 29, 18, 51, 38), pid: 30738, clientIp: '127.0.0.2', user: 'alice',
      controller: 'PhabricatorConduitAPIController', conduitMethod: 'user.whoami', path: '/api/user.whoami', durationUs: 131113 });
    assert.equal(renderPhabricatorAccess(conduit, UTC),
      '[Sun, 29 Nov 2026 18:51:38 +0000]\t30738\tvm\t127.0.0.2\talice\tPhabricatorConduitAPIController\tuser.whoami\t/api/user.whoami\t-\t200\t131113');
    const scan = request({ startMs: Date.UTC(2026, 10, 29, 18, 52, 54), pid: 30738, clientIp: '127.0.0.5', method: 'GET',
      controller: 'PhabricatorPlatform404Controller', path: '/.env', durationUs: 21095 });
    assert.equal(renderPhabricatorAccess(scan, UTC),
      '[Sun, 29 Nov 2026 18:52:54 +0000]\t30738\tvm\t127.0.0.5\t-\tPhabricatorPlatform404Controller\t-\t/.env\t-\t200\t21095');
  });

  it('write %D in the server zone, %T as - on the fatal path, and escape referrers C-style', () => {
    const line = renderPhabricatorAccess(request({ durationUs: null, phorgeStatus: 500, referrer: 'https://wiki.example.com/é\t' }),
      new ServerClock('America/New_York'));
    assert.match(line, /^\[Sun, 29 Nov 2026 13:53:09 -0500\]\t/);
    assert.ok(line.endsWith('\thttps://wiki.example.com/\\303\\251\\t\t500\t-'));
  });

  it('refuse a request that never reached Phorge', () => {
    assert.throws(() => renderPhabricatorAccess(request({ phorgeStatus: null })), /never reached Phorge/);
  });
});

describe('nginx combined lines', () => {
  it('match the observed line with the token in the query string, timed at the end', () => {
    const h = request({ method: 'GET', path: '/api/user.whoami', query: 'api.token=api-y7g2xxxxxxxxxxxxxxxxxxxxxxxx',
      clientIp: '127.0.0.2', startMs: Date.UTC(2026, 10, 29, 18, 51, 37, 900), endMs: Date.UTC(2026, 10, 29, 18, 51, 38, 31),
      bytesSent: 419, userAgent: 'lab-conduit-client/1.0' });
    assert.equal(renderNginxCombined(h, UTC),
      '127.0.0.2 - - [29/Nov/2026:18:51:38 +0000] "GET /api/user.whoami?api.token=api-y7g2xxxxxxxxxxxxxxxxxxxxxxxx HTTP/1.1" 200 419 "-" "lab-conduit-client/1.0"');
  });

  it('show the raw path, the 302 of a redirect, the HTTP Basic user, and escape quotes and bytes', () => {
    const login = renderNginxCombined(request({ webStatus: 302, bytesSent: 5, userAgent: '() { :; }; echo "x"' }), UTC);
    assert.equal(login, '127.0.0.1 - - [29/Nov/2026:18:53:09 +0000] "POST /auth/login/password:self/ HTTP/1.1" 302 5 "-" "() { :; }; echo \\x22x\\x22"');
    const git = renderNginxCombined(request({ method: 'GET', path: '/w/équipe/', remoteUser: 'erin' }), UTC);
    assert.match(git, /^127\.0\.0\.1 - erin \[.*\] "GET \/w\/%C3%A9quipe\/ HTTP\/1\.1"/);
    const garbage = renderNginxCombined(request({ rawRequestLine: '\\x16\\x03\\x01', webStatus: 400, bytesSent: 157 }), UTC);
    assert.match(garbage, /"\\x16\\x03\\x01" 400 157 "-" "-"$/);
  });
});

describe('SSH log lines', () => {
  const session: SshHappening = {
    type: 'ssh', startMs: Date.UTC(2026, 10, 29, 18, 55, 7), endMs: Date.UTC(2026, 10, 29, 18, 55, 7, 188),
    durationUs: 187039, pid: 5604, host: 'vm', clientIp: '127.0.0.5', systemUser: 'root', sudoUser: null, user: 'alice',
    workflow: 'bash', command: 'bash -i', failed: true, bytesIn: null, bytesOut: null,
  };

  it('match the observed failed session (%c = 1)', () => {
    assert.equal(renderSshLine(session, UTC), '[Sun, 29 Nov 2026 18:55:07 +0000]\t5604\tvm\t127.0.0.5\troot\t-\talice\tbash\tbash -i\t1\t187039\t-\t-');
  });

  it('leave %c empty on success and cut %U to 128 code points', () => {
    const line = renderSshLine({ ...session, failed: false, command: `git-upload-pack '/source/${'é'.repeat(200)}.git'`, bytesIn: 10, bytesOut: 20 }, UTC);
    const fields = line.split('\t');
    assert.equal(fields.length, 13);
    assert.equal(fields[9], '');
    assert.equal((fields[8] as string).replace(/\\303\\251/g, 'é').length, 128);
  });
});

describe('daemons.log lines', () => {
  const atMs = Date.UTC(2026, 10, 29, 18, 53, 30);

  it('match the observed retryable webhook failure, followed by the library line and stack frames', () => {
    const d: DaemonHappening = { type: 'daemon', atMs, event: { kind: 'webhook-retry', taskId: 55,
      requestPhid: 'PHID-HWBR-wzi57acnwfoyzjmnyd4j', uri: 'http://127.0.0.1:9/', errorType: 'http', errorCode: 7 } };
    const lines = renderDaemonLines(d, UTC);
    assert.equal(lines[0], '[29-Nov-2026 18:53:30 UTC] [2026-11-29 18:53:30] EXCEPTION: (Exception) Error while executing Task ID 55. ' +
      '{>} (Exception) Webhook request ("PHID-HWBR-wzi57acnwfoyzjmnyd4j", to "http://127.0.0.1:9/") failed (http / 7). ' +
      'The request will be retried. at [<phorge>/src/applications/herald/worker/HeraldWebhookWorker.php:219]');
    assert.equal(lines[1], '[29-Nov-2026 18:53:30 UTC] arcanist(), phorge()');
    assert.equal(lines[2], '[29-Nov-2026 18:53:30 UTC]   #0 <#3> HeraldWebhookWorker::doWork() called at [<phorge>/src/infrastructure/daemon/workers/PhabricatorWorker.php:139]');
    assert.ok(lines.slice(2).every((l, i) => l.startsWith(`[29-Nov-2026 18:53:30 UTC]   #${i} `)));
  });

  it('match the observed permanent failure naming the hook, and the overseer line', () => {
    const [permanent] = renderDaemonLines({ type: 'daemon', atMs: Date.UTC(2026, 10, 29, 18, 59, 56), event: {
      kind: 'webhook-hook-disabled', taskId: 75, requestPhid: 'PHID-HWBR-c77ykymyhvcjst7bfcsz', hookPhid: 'PHID-HWBH-nmlhacmsv66mobzmj722' } }, UTC);
    assert.equal(permanent, '[29-Nov-2026 18:59:56 UTC] [2026-11-29 18:59:56] EXCEPTION: (Exception) Task "75" encountered a permanent ' +
      'failure and was cancelled. {>} (PhabricatorWorkerPermanentFailureException) Associated hook ("PHID-HWBH-nmlhacmsv66mobzmj722") ' +
      'for webhook request ("PHID-HWBR-c77ykymyhvcjst7bfcsz") is disabled. at [<phorge>/src/applications/herald/worker/HeraldWebhookWorker.php:52]');
    const overseer = renderDaemonLines({ type: 'daemon', atMs: Date.UTC(2026, 10, 29, 18, 50, 57), event: {
      kind: 'overseer', logType: 'OVER', message: 'Started new daemon overseer (with PID "32368").' } }, UTC);
    assert.deepEqual(overseer, ['[29-Nov-2026 18:50:57 UTC] 2026-11-29 6:50:57 PM [OVER] Started new daemon overseer (with PID "32368").']);
  });
});

describe('escaping', () => {
  it('C-escapes values the way addcslashes does', () => {
    assert.equal(phorgeCEscape('a\tb\\c\u0000é\u007f'), 'a\\tb\\\\c\\000\\303\\251\\177');
    assert.equal(phorgeCEscape('plain'), 'plain');
  });

  it('percent-encodes paths like rawurlencode with slashes kept', () => {
    assert.equal(phorgeEncodePath('/auth/login/password:self/'), '/auth/login/password%3Aself/');
    assert.equal(phorgeEncodePath('/src/@types/a b~.d.ts'), '/src/%40types/a%20b~.d.ts');
    assert.equal(browserEncodePath('/src/@types/a b.d.ts'), '/src/@types/a%20b.d.ts');
    assert.equal(nginxEscape('a"b\\c\u0001'), 'a\\x22b\\x5Cc\\x01');
  });
});

describe('determinism helpers', () => {
  it('the seeded generator repeats itself, and forks are independent of later draws', () => {
    const a = new Prng('seed');
    const b = new Prng('seed');
    const drawsA = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(drawsA, Array.from({ length: 5 }, () => b.nextUint32()));
    assert.equal(new Prng('seed').fork('x').base32(28), new Prng('seed').fork('x').base32(28));
    assert.notEqual(new Prng('seed').fork('x').base32(28), new Prng('seed').fork('y').base32(28));
    assert.match(new Prng(1).base32(28), /^[a-z2-7]{28}$/);
  });

  it('the write-order queue releases by write time, ties in arrival order', () => {
    const queue = new WriteOrderQueue();
    const at = (endMs: number, pid: number): HttpHappening => request({ startMs: endMs - 10, endMs, pid });
    for (const [end, pid] of [[30, 1], [10, 2], [20, 3], [10, 4], [5, 5]] as const) queue.push(at(end, pid));
    const order: number[] = [];
    for (let h = queue.pop(); h !== undefined; h = queue.pop()) order.push((h as HttpHappening).pid);
    assert.deepEqual(order, [5, 2, 4, 3, 1]);
  });
});
