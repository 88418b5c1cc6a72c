/**
 * Picks a REST operation from a request: its HTTP method, its path against the model's
 * `requestUri` templates (`/{Bucket}/{Key+}`), and the literal query parts of the template
 * (`?list-type=2`, `?delete`). When several templates fit, the one that names more of the query
 * wins, the way S3 tells ListObjectsV2 from ListObjects.
 */
import type { Operation, ServiceModel } from './model.ts';

export interface Template {
  operation: string;
  method: string;
  path: RegExp;
  labels: { name: string; greedy: boolean }[];
  /** Query literals: a key that must be present, and the value it must have if given. */
  literals: { key: string; value?: string }[];
  /** Query keys the operation takes: its literals and its querystring members. */
  named: Set<string>;
}

export interface RouteMatch {
  operation: string;
  labels: Record<string, string>;
}

export type RouteMiss =
  /** A template fits the path and method, but the query names something none of them serve. */
  | { kind: 'unsupported' }
  /** Templates fit the path, but not with this method. */
  | { kind: 'method' }
  /** No template fits the path at all (an empty segment where a label must be: `//key`). */
  | { kind: 'uri' };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileTemplate(model: ServiceModel, operation: string, op: Operation): Template {
  const [pathPart, queryPart = ''] = op.http.requestUri.split('?');
  const labels: Template['labels'] = [];
  const source = pathPart
    .split('/')
    .map((seg) =>
      seg.replace(/\{([^}]+)\}|([^{]+)/g, (_m, label: string | undefined, lit: string | undefined) => {
        if (lit !== undefined) return escapeRe(lit);
        const greedy = label!.endsWith('+');
        labels.push({ name: greedy ? label!.slice(0, -1) : label!, greedy });
        return greedy ? '(.+)' : '([^/]+)';
      }),
    )
    .join('/');
  // A trailing slash names the same resource ("/bucket/" is the bucket), except after a greedy label;
  // and a template's own is optional (botocore has Route 53's `…/rrset/`, Smithy-built SDKs send `…/rrset`).
  const tail = labels.at(-1)?.greedy ? '' : '/?';
  const body = !labels.at(-1)?.greedy && source.endsWith('/') ? source.slice(0, -1) : source;
  const literals = queryPart
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { key: part } : { key: part.slice(0, eq), value: part.slice(eq + 1) };
    });
  const members = op.input ? Object.entries(model.shapes[op.input.shape].members ?? {}) : [];
  const named = new Set([...literals.map((l) => l.key), ...members.filter(([, r]) => r.location === 'querystring').map(([m, r]) => r.locationName ?? m)]);
  return { operation, method: op.http.method.toUpperCase(), path: new RegExp(`^${body}${tail}$`), labels, literals, named };
}

const cache = new WeakMap<ServiceModel, Template[]>();

function templates(model: ServiceModel): Template[] {
  let t = cache.get(model);
  if (!t) cache.set(model, (t = Object.entries(model.operations).map(([name, op]) => compileTemplate(model, name, op))));
  return t;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * `subresources` are the query keys that select a different resource (S3's `?acl`, `?tagging`,
 * ...): a request that names one only matches an operation that takes it.
 */
export function matchRoute(model: ServiceModel, method: string, rawPath: string, query: URLSearchParams, subresources: ReadonlySet<string>): RouteMatch | RouteMiss {
  const path = rawPath || '/';
  let best: { t: Template; m: RegExpExecArray } | undefined;
  let pathFits = false;
  let methodFits = false;
  const namedHere = new Set<string>();
  for (const t of templates(model)) {
    const m = t.path.exec(path);
    if (!m) continue;
    pathFits = true;
    for (const k of t.named) namedHere.add(k);
    if (t.method !== method) continue;
    methodFits = true;
    if (!t.literals.every((l) => query.has(l.key) && (l.value === undefined || query.get(l.key) === l.value))) continue;
    if ([...query.keys()].some((k) => subresources.has(k) && !t.named.has(k))) continue;
    if (!best || t.literals.length > best.t.literals.length) best = { t, m };
  }
  if (!best) {
    if (!pathFits) return { kind: 'uri' };
    // A method no operation uses at all (PATCH) is not allowed, whatever the query names.
    if (!templates(model).some((t) => t.method === method)) return { kind: 'method' };
    // A sub-resource nothing here serves (S3's ?uploads, ?acl) is unsupported whatever the method.
    const unserved = [...query.keys()].some((k) => subresources.has(k) && !namedHere.has(k));
    return { kind: !methodFits && !unserved ? 'method' : 'unsupported' };
  }
  const labels: Record<string, string> = {};
  best.t.labels.forEach((l, i) => (labels[l.name] = decode(best.m[i + 1])));
  return { operation: best.t.operation, labels };
}
