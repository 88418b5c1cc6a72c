/**
 * ISO 8601 durations as AWS writes them (`PT5S`, `PT1M30S`, `PT6H`, `P1D`): FIS's action
 * parameters, CloudFormation's CreationPolicy and UpdatePolicy times. Each caller keeps its own
 * limits and its own answer to a text that is not one.
 */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** The duration in milliseconds, or undefined when `text` is not an ISO 8601 duration. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000);
}
