// Many consecutive lines share a timestamp string (one second of traffic), and Phabricator stamps lines
// with the request's start, so neighbours can alternate between a few seconds. A tiny ring of recent
// (text -> instant) pairs makes the common case one string comparison instead of a date parse.
// (Measured: cutting the text and comparing with === is several times faster in V8 than comparing in
// place with startsWith or a charCodeAt loop.)

const SLOTS = 4;

export class TimestampCache {
  private readonly keys: string[] = new Array<string>(SLOTS).fill('');
  private readonly values = new Float64Array(SLOTS);
  private nextSlot = 0;

  /** @param read reads one timestamp text (already bound to its fallback zone); NaN when unreadable */
  constructor(private readonly read: (text: string) => number) {}

  /** The instant for `line.slice(start, end)`. */
  at(line: string, start: number, end: number): number {
    const text = line.slice(start, end);
    const keys = this.keys;
    for (let i = 0; i < SLOTS; i++) {
      if (keys[i] === text) return this.values[i]!;
    }
    const value = this.read(text);
    keys[this.nextSlot] = text;
    this.values[this.nextSlot] = value;
    this.nextSlot = (this.nextSlot + 1) % SLOTS;
    return value;
  }
}
