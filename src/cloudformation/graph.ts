/**
 * The dependency graph: which resources a resource needs before it can be created, from Ref,
 * Fn::GetAtt, Fn::Sub and DependsOn. References are checked statically, as CloudFormation does
 * when it accepts a template: every name must be a parameter, a pseudo parameter or a resource,
 * and the graph must have no cycle.
 */
import { errors } from '../core/errors.ts';
import { intrinsicName, PSEUDO, subReferences } from './intrinsics.ts';
import type { Template } from './template.ts';

const unresolved = (names: string[]) =>
  errors.validation(`Template format error: Unresolved resource dependencies [${names.join(', ')}] in the Resources block of the template`);

/** Every name referred to by Ref, GetAtt and Sub inside a value (resources, parameters, pseudo parameters). */
export function referencedNames(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedNames(v, out);
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  const fn = intrinsicName(value);
  const arg = fn ? (value as Record<string, unknown>)[fn] : undefined;
  if (fn === 'Ref' && typeof arg === 'string') out.add(arg);
  else if (fn === 'Fn::GetAtt') {
    if (typeof arg === 'string') out.add(arg.split('.')[0]);
    else if (Array.isArray(arg) && typeof arg[0] === 'string') {
      out.add(arg[0]);
      referencedNames(arg.slice(1), out);
    }
  } else if (fn === 'Fn::Sub') {
    const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
    const local = vars && typeof vars === 'object' ? new Set(Object.keys(vars)) : new Set<string>();
    if (typeof text === 'string') for (const n of subReferences(text)) if (!local.has(n)) out.add(n);
    if (vars) referencedNames(vars, out);
  } else {
    for (const v of Object.values(value)) referencedNames(v, out);
  }
  return out;
}

export type Graph = Map<string, Set<string>>;

const dependsOnList = (d: string | string[] | undefined): string[] => (d === undefined ? [] : Array.isArray(d) ? d : [d]);

/**
 * Builds the graph of the resources in `active` (those whose condition holds): each resource's
 * dependencies among them. Throws for references to unknown names and for cycles.
 */
export function buildGraph(t: Template, active: ReadonlySet<string> = new Set(Object.keys(t.Resources))): Graph {
  const params = new Set(Object.keys(t.Parameters));
  const graph: Graph = new Map();
  const missing = new Set<string>();
  for (const [id, r] of Object.entries(t.Resources)) {
    const refs = referencedNames(r.Properties);
    referencedNames(r.Metadata, refs);
    const deps = new Set<string>();
    for (const n of refs) {
      if (n in t.Resources) deps.add(n);
      else if (!params.has(n) && !PSEUDO.includes(n)) missing.add(n);
    }
    for (const d of dependsOnList(r.DependsOn)) {
      if (!(d in t.Resources)) missing.add(d);
      else deps.add(d);
    }
    deps.delete(id);
    if (active.has(id)) graph.set(id, new Set([...deps].filter((d) => active.has(d))));
  }
  for (const o of Object.values(t.Outputs)) {
    for (const n of referencedNames(o.Value)) if (!(n in t.Resources) && !params.has(n) && !PSEUDO.includes(n)) missing.add(n);
  }
  for (const c of Object.values(t.Conditions)) {
    for (const n of referencedNames(c)) {
      if (n in t.Resources) throw errors.validation(`Template format error: Unresolved dependencies [${n}]. Cannot reference resources in the Conditions block of the template`);
      if (!params.has(n) && !PSEUDO.includes(n)) missing.add(n);
    }
  }
  if (missing.size) throw unresolved([...missing]);
  const cycle = findCycle(graph);
  if (cycle) throw errors.validation(`Circular dependency between resources: [${cycle.join(', ')}]`);
  return graph;
}

function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      const s = state.get(d);
      if (s === 1) return stack.slice(stack.indexOf(d)).sort();
      if (!s) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of graph.keys()) {
    if (!state.get(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

/** The resources that depend on `id`, directly. */
export function dependents(graph: Graph, id: string): string[] {
  return [...graph].filter(([, deps]) => deps.has(id)).map(([n]) => n);
}
