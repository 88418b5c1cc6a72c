/**
 * The `pattern` constraints of a model, checked the way AWS's front ends check them: the whole
 * value must match, and a miss is reported as "Member must satisfy regular expression pattern".
 * The patterns are Java regexes; those JavaScript cannot read are skipped rather than guessed at.
 */
import type { ShapeRef, ServiceModel } from './model.ts';

const compiled = new Map<string, RegExp | null>();

function regex(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = null;
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        // try the next flavour
      }
    }
    compiled.set(pattern, re);
  }
  return re;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const join = (path: string, member: string) => (path ? `${path}.${lowerFirst(member)}` : lowerFirst(member));

/** The first pattern violation in `value`, as AWS words it, or undefined. */
export function checkPatterns(model: ServiceModel, ref: ShapeRef, value: unknown, path = ''): string | undefined {
  if (value === undefined || value === null) return undefined;
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure':
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        const err = checkPatterns(model, mref, (value as Record<string, unknown>)[m], join(path, m));
        if (err) return err;
      }
      return undefined;
    case 'list':
      for (const [i, item] of (value as unknown[]).entries()) {
        const err = checkPatterns(model, shape.member!, item, `${path}.${i + 1}.member`);
        if (err) return err;
      }
      return undefined;
    case 'string': {
      if (!shape.pattern || typeof value !== 'string') return undefined;
      const re = regex(shape.pattern);
      if (!re || re.test(value)) return undefined;
      return `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shape.pattern}`;
    }
    default:
      return undefined;
  }
}
