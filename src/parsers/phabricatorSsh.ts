// Phabricator/Phorge SSH log (`log.ssh.path`) -> SshRecord. One line per ssh-exec session; %c is empty
// on success (and `1` on any failure), %U is the whole command as typed, not a URL, so it is not
// percent-decoded.

import { unescapeC } from './cEscape.js';
import { failure, showValue } from './failures.js';
import { FieldScanner } from './fieldScanner.js';
import { isIpAddress } from './ipAddress.js';
import { letterIndex, phabricatorScanLayout, phabricatorTimestampCache, type PhabricatorFormat } from './phabricatorFormat.js';
import type { TimestampCache } from './timestampCache.js';
import type { LineParser, ParseResult, SshRecord } from './types.js';

export class PhabricatorSshParser implements LineParser {
  readonly sourceType = 'phabricator-ssh' as const;
  private readonly scanner: FieldScanner;
  private readonly timestamps: TimestampCache;
  private readonly at: {
    ts: number; host: number; clientIp: number; systemUser: number; sudoUser: number; user: number;
    userPhid: number; workflow: number; command: number; exitCode: number; duration: number;
    bytesIn: number; bytesOut: number; requestId: number; keyId: number;
  };

  constructor(readonly format: string, private readonly compiled: PhabricatorFormat, timezone: string) {
    this.scanner = new FieldScanner(phabricatorScanLayout(compiled));
    this.timestamps = phabricatorTimestampCache(compiled, timezone);
    const at = (letter: string): number => letterIndex(compiled, letter);
    this.at = {
      ts: compiled.timestampIndex, host: at('h'), clientIp: at('r'), systemUser: at('s'), sudoUser: at('S'),
      user: at('u'), userPhid: at('P'), workflow: at('C'), command: at('U'), exitCode: at('c'),
      duration: at('T'), bytesIn: at('i'), bytesOut: at('o'), requestId: at('Q'), keyId: at('k'),
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
    const escaped = line.indexOf('\\') !== -1;
    // ssh-exec leaves %c empty when the command succeeded; a trimmed-away %c was empty too.
    const exitCode = at.exitCode >= 0 && scanner.isEmpty(at.exitCode) ? 0 : scanner.number(line, at.exitCode);
    const micros = scanner.number(line, at.duration);
    const record: SshRecord = {
      family: 'ssh',
      ts,
      host: this.text(line, at.host, escaped),
      clientIp,
      systemUser: this.text(line, at.systemUser, escaped),
      sudoUser: this.text(line, at.sudoUser, escaped),
      user: this.text(line, at.user, escaped),
      userPhid: this.text(line, at.userPhid, escaped),
      workflow: this.text(line, at.workflow, escaped),
      command: this.text(line, at.command, escaped),
      exitCode,
      durationMs: micros === null ? null : micros / 1000,
      bytesIn: scanner.number(line, at.bytesIn),
      bytesOut: scanner.number(line, at.bytesOut),
      requestId: this.text(line, at.requestId, escaped),
      keyId: this.text(line, at.keyId, escaped),
    };
    return { ok: true, record };
  }

  /** Value of variable i, C-unescaped when the line has escapes; null for absent, empty or `-`. */
  private text(line: string, i: number, escaped: boolean): string | null {
    const raw = this.scanner.raw(line, i);
    return raw !== null && escaped ? unescapeC(raw) : raw;
  }
}
