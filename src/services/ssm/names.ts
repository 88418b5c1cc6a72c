/**
 * Parameter names and selectors as Parameter Store reads them: `/a/b/c` (a hierarchy of at most 15
 * levels) or a plain name, letters, digits and `.-_` only, never prefixed with `aws` or `ssm`
 * (reserved for AWS, case-insensitive, with or without the slash); and `name:3` or `name:label`
 * selecting a version in reads.
 */
import { ssmErrors } from './errors.ts';

/** The longest name a caller may create (AWS keeps the rest of the 2048 for itself). */
const MAX_NAME = 1011;
const MAX_LEVELS = 15;

const bare = (name: string) => (name.startsWith('/') ? name.slice(1) : name);

/** Whether the name lies in AWS's reserved `aws` space (the public parameters live there). */
export const isAwsName = (name: string): boolean => bare(name).toLowerCase().startsWith('aws');

/** Checks a name's form (characters, slashes, the `ssm` prefix, length, depth). */
export function checkName(name: string): void {
  const b = bare(name);
  if (b.toLowerCase().startsWith('ssm') || !/^[A-Za-z0-9_.\-/]+$/.test(name)) throw ssmErrors.badName();
  if (b.includes('/') && (!name.startsWith('/') || b.split('/').some((s) => s === ''))) throw ssmErrors.badName();
  if (name.length > MAX_NAME) throw ssmErrors.validation(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAME}`);
  if (b.split('/').length > MAX_LEVELS) throw ssmErrors.hierarchy();
}

/** Checks a name a caller writes: its form, and not AWS's reserved space. */
export function checkWritableName(name: string): void {
  if (isAwsName(name)) throw ssmErrors.reservedName(bare(name));
  checkName(name);
}

export interface Selected {
  name: string;
  /** `:3` or `:label`, as the response's Selector gives it. */
  selector?: string;
  version?: number;
  label?: string;
}

/** Splits `name:3` / `name:label` (names never contain a colon). */
export function parseSelector(input: string): Selected {
  const i = input.indexOf(':');
  if (i < 0) return { name: input };
  const name = input.slice(0, i);
  const rest = input.slice(i + 1);
  if (/^\d+$/.test(rest)) return { name, selector: `:${rest}`, version: Number(rest) };
  return { name, selector: `:${rest}`, label: rest };
}

/**
 * Labels a caller may attach: at most 100 characters of letters, digits, `.-_`, not starting with
 * a digit nor with `aws` or `ssm`. Others come back in InvalidLabels rather than failing the call.
 */
export const isValidLabel = (label: string): boolean =>
  label.length <= 100 && /^[A-Za-z0-9_.-]+$/.test(label) && !/^\d/.test(label) && !/^(aws|ssm)/i.test(label);
