/**
 * How a property change is applied, from the resource specification in spec/resource-spec.json
 * (generated from @aws-cdk/aws-service-spec): replacement, conditional (the documentation's
 * "some interruptions" for EBS-backed instances, or replacement, depending on the change), or
 * no interruption. Unknown properties are refused as CloudFormation refuses them.
 */
import { readFileSync } from 'node:fs';
import type { Props } from './resource-handler.ts';
import { own } from '../core/own.ts';

interface TypeSpec {
  /** Property name to r (replacement), c (conditional) or m (mutable). */
  p: Record<string, 'r' | 'c' | 'm'>;
  req: string[];
  a: string[];
}

interface SpecFile {
  types: Record<string, TypeSpec>;
  known: string[];
}

const spec = JSON.parse(readFileSync(new URL('./spec/resource-spec.json', import.meta.url), 'utf8')) as SpecFile;
const knownTypes = new Set(spec.known);

export const typeSpec = (type: string): TypeSpec | undefined => own(spec.types, type);

/** Whether AWS has the resource type at all (supported or not by faultline); the spec leaves out the CDK's metadata. */
export const isKnownType = (type: string): boolean => knownTypes.has(type) || type.startsWith('Custom::') || type === 'AWS::CDK::Metadata';

export type UpdateKind = 'None' | 'NoInterruption' | 'Interruption' | 'Replacement';

export interface PropertyChange {
  name: string;
  /** How the spec says a change to this property is applied. */
  requiresRecreation: 'Never' | 'Conditionally' | 'Always';
}

/** Deep equality of resolved property values, with numbers and booleans equal to their strings. */
export function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)]));
    return v;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The top-level properties that differ between two resolved property sets. */
export function changedProperties(oldProps: Props, newProps: Props): string[] {
  const names = new Set([...Object.keys(oldProps), ...Object.keys(newProps)]);
  return [...names].filter((n) => !sameValue(oldProps[n], newProps[n])).sort();
}

export function propertyChanges(type: string, changed: string[]): PropertyChange[] {
  const t = typeSpec(type);
  return changed.map((name) => {
    const k = own(t?.p, name) ?? 'm';
    return { name, requiresRecreation: k === 'r' ? 'Always' : k === 'c' ? 'Conditionally' : 'Never' };
  });
}

/**
 * The update a set of changes needs. `conditionalReplaces` lets the type's handler say whether
 * a conditional change replaces (e.g. an instance-store instance); by default it does not.
 */
export function updateKind(
  type: string,
  oldProps: Props,
  newProps: Props,
  conditionalReplaces?: (prop: string, oldValue: unknown, newValue: unknown) => boolean,
): { kind: UpdateKind; changed: string[] } {
  const changed = changedProperties(oldProps, newProps);
  if (!changed.length) return { kind: 'None', changed };
  let kind: UpdateKind = 'NoInterruption';
  for (const c of propertyChanges(type, changed)) {
    if (c.requiresRecreation === 'Always') return { kind: 'Replacement', changed };
    if (c.requiresRecreation === 'Conditionally') {
      if (conditionalReplaces?.(c.name, oldProps[c.name], newProps[c.name])) return { kind: 'Replacement', changed };
      kind = 'Interruption';
    }
  }
  return { kind, changed };
}

/** Properties a template gives that the type does not have, and required ones it lacks. */
export function checkProperties(type: string, props: Props): string | undefined {
  const t = typeSpec(type);
  if (!t) return undefined;
  const unknown = Object.keys(props).filter((p) => !Object.hasOwn(t.p, p));
  if (unknown.length) return `Encountered unsupported property ${unknown[0]}`;
  const missing = t.req.filter((r) => props[r] === undefined);
  if (missing.length) return `Property validation failure: [The property {/${missing[0]}} is required]`;
  return undefined;
}
