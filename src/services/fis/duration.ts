/** FIS's limits on its duration parameters. */
import { parseDuration } from '../../core/duration.ts';

const MAX_DURATION_MS = 12 * 3600_000;

/** A check for a duration parameter between `min` and 12 hours; returns the problem, if any. */
export const durationBetween =
  (minMs: number, minText: string) =>
  (value: string): string | undefined => {
    const ms = parseDuration(value);
    if (ms === undefined) return `must be an ISO 8601 duration such as PT5M, not ${value}`;
    if (ms < minMs || ms > MAX_DURATION_MS) return `must be from ${minText} to PT12H`;
    return undefined;
  };
