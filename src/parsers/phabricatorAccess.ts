// Phabricator/Phorge HTTP access log (`log.access.path`) -> RequestRecord, family 'app'.
// %U is the path only (never a query string), percent-encoded by Phorge, so it is decoded here to match
// what the webserver log shows.

import { unescapeC } from './cEscape.js';
import { failure, showValue } from './failures.js';
import { FieldScanner } from './fieldScanner.js';
import { isIpAddress } from './ipAddress.js';
import { decodePercent } from './percentDecode.js';
import { letterIndex, phabricatorScanLayout, phabricatorTimestampCache, type PhabricatorFormat } from './phabricatorFormat.js';
import type { TimestampCache } from './timestampCache.js';
import type { LineParser, ParseResult, RequestRecord } from './types.js';

export class PhabricatorAccessParser implements LineParser {
  readonly sourceType = 'phabricator-access' as const;
  private readonly scanner: FieldScanner;
  private readonly timestamps: TimestampCache;
  private readonly at: {
    ts: number; host: number; clientIp: number; user: number; userPhid: number; method: number; path: number;
    controller: number; conduitMethod: number; status: number; duration: number; bytesIn: number;
    bytesOut: number; referrer: number;
  };

  constructor(readonly format: string, private readonly compiled: PhabricatorFormat, timezone: string) {
    this.scanner = new FieldScanner(phabricatorScanLayout(compiled));
    this.timestamps = phabricatorTimestampCache(compiled, timezone);
    const at = (letter: string): number => letterIndex(compiled, letter);
    this.at = {
      ts: compiled.timestampIndex, host: at('h'), clientIp: at('r'), user: at('u'), userPhid: at('P'),
      method: at('M'), path: at('U'), controller: at('C'), conduitMethod: at('m'), status: at('c'),
      duration: at('T'), bytesIn: at('i'), bytesOut: at('o'), referrer: at('R'),
    };
  }

  parse(line: string): ParseResult {
    const scanner = this.scanner;
    const problem = scanner.scan(line);
    if (problem !== null) return problem;
    const at = this.at;

    const ts = this.timestamps.at(line, scanner.starts[at.ts]!, scanner.ends[at.ts]!);
    if (Number.isNaN(ts)) {
      const name = this.compiled.letters[at.ts];
      return failure('bad_timestamp', `field ${at.ts + 1} (%${name}): cannot read ${showValue(scanner.raw(line, at.ts) ?? '')} as a date`);
    }
    const clientIp = scanner.raw(line, at.clientIp);
    if (clientIp !== null && !isIpAddress(clientIp)) {
      return failure('bad_field', `field ${at.clientIp + 1} (%r): expected an IP address, got ${showValue(clientIp)}`);
    }
    // Values only need unescaping when the line has a backslash at all (rare).
    const escaped = line.indexOf('\\') !== -1;
    const path = this.text(line, at.path, escaped);
    const micros = scanner.number(line, at.duration);
    const record: RequestRecord = {
      family: 'app',
      ts,
      host: this.text(line, at.host, escaped),
      clientIp,
      user: this.text(line, at.user, escaped),
      userPhid: this.text(line, at.userPhid, escaped),
      method: this.text(line, at.method, escaped),
      path: path === null ? null : decodePercent(path),
      query: null,
      protocol: null,
      controller: this.text(line, at.controller, escaped),
      conduitMethod: this.text(line, at.conduitMethod, escaped),
      status: scanner.number(line, at.status),
      durationMs: micros === null ? null : micros / 1000,
      bytesIn: scanner.number(line, at.bytesIn),
      bytesOut: scanner.number(line, at.bytesOut),
      userAgent: null,
      referrer: this.text(line, at.referrer, escaped),
      malformedRequest: false,
    };
    return { ok: true, record };
  }

  /** Value of variable i, C-unescaped when the line has escapes; null for absent, empty or `-`. */
  private text(line: string, i: number, escaped: boolean): string | null {
    const raw = this.scanner.raw(line, i);
    return raw !== null && escaped ? unescapeC(raw) : raw;
  }
}
