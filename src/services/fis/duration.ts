/** ISO 8601 durations as FIS takes them (`PT5S`, `PT1M30S`, `PT6H`, `P1D`), in clock milliseconds. */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000);
}

export const MAX_DURATION_MS = 12 * 3600_000;

/** A check for a duration parameter between `min` and 12 hours; returns the problem, if any. */
export const durationBetween =
  (minMs: number, minText: string) =>
  (value: string): string | undefined => {
    const ms = parseDuration(value);
    if (ms === undefined) return `must be an ISO 8601 duration such as PT5M, not ${value}`;
    if (ms < minMs || ms > MAX_DURATION_MS) return `must be from ${minText} to PT12H`;
    return undefined;
  };
