// Deterministic trace and span ids. A request span's ids, and the number its sampling is decided on, come from
// the line itself: its source, host, timestamp and byte offset (plus an optional installation salt), never from
// a random generator or the store. So a log replayed into a new store gives exactly the spans that tailing it
// gave, and an alert can link to the spans of its sample events by recomputing their ids.
//
// The per-event hash is a small murmur3-style mix over integers (no string building, no crypto on the hot
// path); the per-(source, host) seeds are derived once with SHA-256.

import { createHash } from 'node:crypto';

/** Six 32-bit words: 0-3 make the trace id, 4-5 the span id; word 0 also decides sampling. */
const WORDS = 6;
const TWO_32 = 4_294_967_296;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = rotl(k, 15);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(word: number): string {
  return HEX_PAIRS[word >>> 24]! + HEX_PAIRS[(word >>> 16) & 0xff]! + HEX_PAIRS[(word >>> 8) & 0xff]! + HEX_PAIRS[word & 0xff]!;
}

export interface SpanIds {
  traceId: string;
  spanId: string;
}

/** Where a line comes from, as far as its ids are concerned. */
export interface LinePlace {
  source: string;
  host: string | null;
  ts: number;
  offset: number;
}

export class SpanIdDeriver {
  /** source -> host ('' for none) -> seeds */
  private readonly seeds = new Map<string, Map<string, Uint32Array>>();
  private lastSource = '';
  private lastHosts: Map<string, Uint32Array> | null = null;
  private readonly words = new Uint32Array(WORDS);

  /** `salt` separates installations that share a collector (e.g. `telemetry.instance`); '' is fine. */
  constructor(private readonly salt: string) {}

  /** The sampling number of a line, uniform in [0, 1): the same line always gets the same number. */
  samplingValue(source: string, host: string | null, ts: number, offset: number): number {
    const seeds = this.seedsOf(source, host);
    return this.word(seeds[0]!, ts, offset) / TWO_32;
  }

  /** The ids of the span of the line. */
  requestIds(place: LinePlace): SpanIds {
    const seeds = this.seedsOf(place.source, place.host);
    const w = this.words;
    for (let i = 0; i < WORDS; i++) w[i] = this.word(seeds[i]!, place.ts, place.offset);
    // An all-zero span id is invalid in OpenTelemetry; the chance is 2^-64, but never emit one.
    if (w[4] === 0 && w[5] === 0) w[5] = 1;
    return { traceId: hex8(w[0]!) + hex8(w[1]!) + hex8(w[2]!) + hex8(w[3]!), spanId: hex8(w[4]!) + hex8(w[5]!) };
  }

  /** The ids of an alert's span: from its rule, group labels and start (event time), so they are store-independent. */
  alertIds(ruleId: string, labels: Readonly<Record<string, string>>, startedAt: number): SpanIds {
    const sorted = Object.keys(labels).sort().map((k) => [k, labels[k]]);
    const digest = createHash('sha256').update(`${this.salt}\u0000alert\u0000${ruleId}\u0000${JSON.stringify(sorted)}\u0000${startedAt}`).digest('hex');
    let spanId = digest.slice(32, 48);
    if (/^0+$/.test(spanId)) spanId = '0000000000000001';
    return { traceId: digest.slice(0, 32), spanId };
  }

  private word(seed: number, ts: number, offset: number): number {
    let h = seed | 0;
    h = mixBlock(h, ts >>> 0);
    h = mixBlock(h, Math.floor(ts / TWO_32) | 0);
    h = mixBlock(h, offset >>> 0);
    h = mixBlock(h, Math.floor(offset / TWO_32) | 0);
    return finalMix(h ^ 16);
  }

  private seedsOf(source: string, host: string | null): Uint32Array {
    let hosts = source === this.lastSource ? this.lastHosts : null;
    if (hosts === null) {
      hosts = this.seeds.get(source) ?? null;
      if (hosts === null) {
        hosts = new Map();
        this.seeds.set(source, hosts);
      }
      this.lastSource = source;
      this.lastHosts = hosts;
    }
    const hostKey = host ?? '';
    let seeds = hosts.get(hostKey);
    if (seeds === undefined) {
      const digest = createHash('sha256').update(`${this.salt}\u0000${source}\u0000${hostKey}`).digest();
      seeds = new Uint32Array(WORDS);
      for (let i = 0; i < WORDS; i++) seeds[i] = digest.readUInt32BE(i * 4);
      // Host names come from log lines: keep the memo bounded.
      if (hosts.size >= 1024) hosts.clear();
      hosts.set(hostKey, seeds);
    }
    return seeds;
  }
}
