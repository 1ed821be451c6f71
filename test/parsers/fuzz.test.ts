// No input may make a parser throw: random bytes, every truncation of real lines, and random edits.
// Seeded, so a failure is reproducible; the failing input is printed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceType } from '../../src/config/types.js';
import { createParser, isFormatError } from '../../src/parsers/index.js';
import type { LineParser, ParseResult, RejectReason } from '../../src/parsers/types.js';

/** mulberry32: small, fast, good enough to spread inputs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS: ReadonlySet<RejectReason> = new Set(['format_mismatch', 'bad_timestamp', 'bad_field', 'binary', 'invalid_utf8', 'oversized', 'truncated']);
const FAMILY: Record<SourceType, string> = {
  'phabricator-access': 'app', 'phabricator-ssh': 'ssh', 'phd-daemon': 'daemon', nginx: 'web', apache: 'web',
};

const SAMPLES: Record<SourceType, string[]> = {
  'phabricator-access': [
    '[Wed, 08 Aug 2018 17:37:58 +0000]\t106002\tweb.host\t127.0.0.1\tusername\tPhabricatorConduitAPIController\tbugzilla.account.search\t/api/bugzilla.account.search\t-\t200\t57789',
    '[Sun, 01 Mar 2026 10:00:00 +0000]\t7\th\t10.0.0.1\talice\tPhabricatorFileInfoController\t-\t/F1/caf\\303\\251/%3A\thttps://a.example/x\\ty\t200\t10',
  ],
  'phabricator-ssh': [
    '[Sun, 29 Nov 2026 18:55:07 +0000]\t5604\tvm\t127.0.0.5\troot\t-\talice\tbash\tbash -i\t1\t187039\t-\t-',
    "[Tue, 05 Mar 2024 02:14:00 +0000]\t9911\tphab01\t198.51.100.7\tvcs-user\tdaemon-user\talice\tgit-upload-pack\tgit-upload-pack '/diffusion/P/'\t\t845210\t1187\t90321",
  ],
  'phd-daemon': [
    '[29-Nov-2026 18:53:30 UTC] [2026-11-29 18:53:30] EXCEPTION: (Exception) Error while executing Task ID 55. {>} (Exception) Webhook request ("PHID-HWBR-wzi57acnwfoyzjmnyd4j", to "http://127.0.0.1:9/") failed (http / 7). The request will be retried. at [<phorge>/src/applications/herald/worker/HeraldWebhookWorker.php:219]',
    '[29-Nov-2026 18:50:57 Europe/Berlin] 2026-11-29 6:50:57 PM [OVER] Started new daemon overseer (with PID "32368").',
    '[29-Nov-2026 18:51:12 UTC]   #0 <#3> HeraldWebhookWorker::doWork() called at [<phorge>/src/x.php:139]',
  ],
  nginx: [
    'example.com:80 "10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront" "-"',
    '12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "\\x03\\x00\\x00/*\\xE0\\x00Cookie: mstshash=Administr" 400 47 "-" "-" "-"',
  ],
  apache: [
    '68.49.152.86 - - [22/Apr/2004:11:55:13 -0400] "GET" /hostadmin/?page=\' HTTP/1.0" 501 345 "-" "Mozilla/4.75 (Nikto/1.32 )"',
    'www.sitename.com 192.0.2.222 - user [18/Aug/2024:21:08:39] "GET /a\\"b\\\\ HTTP/1.1" 403 - "-" "x\\xc3\\xa9"',
  ],
};

const EXTRA_FORMATS: Partial<Record<SourceType, string[]>> = {
  'phabricator-access': ['%h|%r|[%D]|%u|%%|%c', '%e %h %r "%u" %C %m %U %c %T'],
  nginx: ['$msec\t$http_x_forwarded_for\t$request_method\t$request_uri\t$status\t$upstream_response_time', '[$time_iso8601] "$request" $status'],
  apache: ['%{%Y-%m-%d %H:%M:%S}t.%{msec_frac}t %a "%r" %>s %D %U%q', '%v:%p %h %l %u %t "%r" %>s %O'],
};

const ALPHABET = ' \t"\\[]-%:/.,?#{}()<>=+0123456789aAzZ\u00e9\ufffd\u0000\u001b\r\n';

function check(parser: LineParser, line: string): void {
  let result: ParseResult;
  let continuation: boolean | undefined;
  try {
    result = parser.parse(line);
    continuation = parser.isContinuation?.(line);
  } catch (error) {
    assert.fail(`${parser.sourceType} threw ${String(error)} on ${JSON.stringify(line)}`);
  }
  if (continuation !== undefined) assert.equal(typeof continuation, 'boolean');
  if (result.ok) {
    assert.equal(result.record.family, FAMILY[parser.sourceType], JSON.stringify(line));
    assert.ok(Number.isFinite(result.record.ts), `non-finite ts for ${JSON.stringify(line)}`);
  } else {
    assert.ok(REASONS.has(result.reason), `reason ${result.reason}`);
    assert.ok(typeof result.detail === 'string' && result.detail.length > 0, 'empty detail');
  }
}

function parsersFor(type: SourceType): LineParser[] {
  const formats = [null, ...(EXTRA_FORMATS[type] ?? [])];
  return formats.map((format) => {
    const p = createParser({ type, format, timezone: 'Europe/Zurich' });
    if (isFormatError(p)) throw new Error(p.message);
    return p;
  });
}

for (const type of Object.keys(SAMPLES) as SourceType[]) {
  test(`fuzz ${type}: random bytes, truncations and edits never throw`, () => {
    const next = random(0x5eed ^ type.length);
    const parsers = parsersFor(type);
    const samples = SAMPLES[type];
    for (const parser of parsers) {
      for (const sample of samples) {
        for (let i = 0; i <= sample.length; i++) {
          check(parser, sample.slice(0, i));
          check(parser, sample.slice(i));
        }
      }
      for (let n = 0; n < 3000; n++) {
        // random bytes, read the way the pipeline reads undecodable input
        const bytes = Buffer.alloc(Math.floor(next() * 200));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
        check(parser, bytes.toString(next() < 0.5 ? 'utf8' : 'latin1'));
        // a real line with a few random edits
        let line = samples[Math.floor(next() * samples.length)]!;
        const edits = 1 + Math.floor(next() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * (line.length + 1));
          const ch = ALPHABET[Math.floor(next() * ALPHABET.length)]!;
          const op = next();
          if (op < 0.4) line = line.slice(0, at) + ch + line.slice(at);
          else if (op < 0.7) line = line.slice(0, at) + line.slice(at + 1);
          else line = line.slice(0, at) + ch + line.slice(at + 1);
        }
        check(parser, line);
      }
    }
  });
}
