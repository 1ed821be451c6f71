// Durations in config and rules: "250ms", "5s", "10m", "1h30m", "30d", "2w". Returned in milliseconds.

const UNIT_MS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/;

/** Parses a duration; returns a message describing the problem instead of throwing. */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  const input = text.trim();
  if (input === '') return { ok: false, message: 'empty duration' };
  let rest = input;
  let total = 0;
  while (rest.length > 0) {
    const m = DURATION.exec(rest);
    if (!m) {
      return { ok: false, message: `"${text}" is not a duration (use e.g. 500ms, 30s, 5m, 1h30m, 30d)` };
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return { ok: true, ms: Math.round(total) };
}

/** Renders milliseconds the way a person would write them (for messages and docs). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.join('');
}
