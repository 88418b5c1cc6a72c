/**
 * The search expression inside SEARCH(...) (search-expression-syntax.html), over the metrics
 * that exist:
 *
 *   {Namespace, DimensionName, ...} term term ...
 *
 * - The optional schema keeps the metrics of that namespace whose dimension names are exactly
 *   those listed.
 * - `Key="value"` matches exactly and `Key=value` by substring, where Key is MetricName,
 *   Namespace or a dimension name; a bare word or "phrase" matches by substring (case
 *   insensitive) the namespace, the metric name, or a dimension name or value.
 * - Terms must all match (AND is implicit and may be written); NOT before a term negates it.
 *   OR is not supported and is refused.
 */
import type { Dimension, MetricRow } from '../metrics.store.ts';
import { MathError } from './evaluate.ts';

export interface Found {
  namespace: string;
  name: string;
  dims: Dimension[];
  /** The series' default label: its dimension values, or the metric name when it has none. */
  label: string;
}

type Term = { negate: boolean; key?: string; value: string; exact: boolean };

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s);

function parseSearch(text: string): { schema?: { namespace: string; dims: string[] }; terms: Term[] } {
  let rest = text.trim();
  let schema: { namespace: string; dims: string[] } | undefined;
  if (rest.startsWith('{')) {
    const close = rest.indexOf('}');
    if (close < 0) throw new MathError(`Invalid search expression "${text}": the schema has no closing brace.`);
    const parts = rest.slice(1, close).split(',').map((p) => unquote(p.trim()));
    if (!parts[0]) throw new MathError(`Invalid search expression "${text}": the schema needs a namespace.`);
    schema = { namespace: parts[0], dims: parts.slice(1).filter(Boolean) };
    rest = rest.slice(close + 1);
  }
  const tokens = rest.match(/[^\s=]+="[^"]*"|[^\s=]+=[^\s]+|"[^"]*"|\S+/g) ?? [];
  const terms: Term[] = [];
  let negate = false;
  for (const tok of tokens) {
    if (tok === 'AND') continue;
    if (tok === 'OR') throw new MathError('faultline does not support OR in search expressions.');
    if (tok === 'NOT') {
      negate = true;
      continue;
    }
    const eq = tok.indexOf('=');
    if (eq > 0 && !tok.startsWith('"')) {
      const raw = tok.slice(eq + 1);
      terms.push({ negate, key: unquote(tok.slice(0, eq)), value: unquote(raw), exact: raw.startsWith('"') });
    } else {
      terms.push({ negate, value: unquote(tok), exact: false });
    }
    negate = false;
  }
  if (!schema && !terms.length) throw new MathError(`Invalid search expression "${text}": it is empty.`);
  return { schema, terms };
}

function matches(m: MetricRow, t: Term): boolean {
  const like = (s: string) => (t.exact ? s === t.value : s.toLowerCase().includes(t.value.toLowerCase()));
  if (t.key === 'MetricName') return like(m.name);
  if (t.key === 'Namespace') return like(m.namespace);
  if (t.key !== undefined) return m.dims.some((d) => d.Name === t.key && like(d.Value));
  return [m.namespace, m.name, ...m.dims.flatMap((d) => [d.Name, d.Value])].some(like);
}

/** The metrics among `rows` that the search expression finds, in a stable order. */
export function searchMetrics(text: string, rows: readonly MetricRow[]): Found[] {
  const { schema, terms } = parseSearch(text);
  return rows
    .filter((m) => {
      if (schema) {
        if (m.namespace !== schema.namespace) return false;
        const names = m.dims.map((d) => d.Name).sort();
        if (names.length !== schema.dims.length || [...schema.dims].sort().some((n, i) => n !== names[i])) return false;
      }
      return terms.every((t) => matches(m, t) !== t.negate);
    })
    .map((m) => ({ namespace: m.namespace, name: m.name, dims: m.dims, label: m.dims.length ? m.dims.map((d) => d.Value).join(' ') : m.name }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
