/**
 * References in a drill file to what its setup made: `${STEP.outputs.KEY}` (a stack output),
 * `${STEP.resources.LOGICAL_ID}` (a stack resource's physical id), `${STEP.stackId}`,
 * `${STEP.zone}` (the zone of the stack's first running instance), `${STEP.databaseZone}` (the zone
 * of the primary of the stack's first DB instance),
 * `${STEP.imageId}`, `${STEP.snapshotId}` (an image step), `${STEP.keyName}`.
 * Filled in once the setup has run, throughout the experiment template and the probes.
 */
export type SetupValues = Record<string, Record<string, unknown>>;

const REF = /\$\{([^}]+)\}/g;

function lookup(values: SetupValues, ref: string): string {
  const parts = ref.trim().split('.');
  let v: unknown = values;
  for (const p of parts) {
    v = v && typeof v === 'object' && Object.hasOwn(v, p) ? (v as Record<string, unknown>)[p] : undefined;
    if (v === undefined) throw new Error(`\${${ref}} names nothing the setup made (setup steps: ${Object.keys(values).join(', ') || 'none'})`);
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`\${${ref}} is not a single value`);
  return String(v);
}

/** A copy of `value` with every `${...}` in its strings replaced. */
export function resolveRefs<T>(value: T, values: SetupValues): T {
  if (typeof value === 'string') return value.replace(REF, (_, ref: string) => lookup(values, ref)) as T;
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, values)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, values)])) as T;
  return value;
}
