/**
 * The chapter's comparison table, from measured results only: one row per mechanism (in the
 * order the drills ran), RTO and RPO as measured for each kind of failure that was drilled, and
 * whether the mechanism survived a server (Hardware) and an AZ failure. The set of rows is
 * whatever drills ran: a new mechanism is a new drill file, never a change here.
 */
import type { DisruptionType, DrillResult, Measure } from '../result.ts';
import { disruptionWords, formatSeconds } from './measures.ts';

export const TABLE_COLUMNS = ['mechanism', 'RTO', 'RPO', 'survives a server failure', 'survives an AZ failure'] as const;

export interface TableRow {
  mechanism: string;
  /** The latest result of each disruption type drilled for this mechanism. */
  runs: Partial<Record<DisruptionType, DrillResult>>;
  cells: Record<(typeof TABLE_COLUMNS)[number], string>;
}

const order: DisruptionType[] = ['Hardware', 'AZ', 'Software', 'Region'];

function figure(r: DrillResult, m: Measure): string {
  if (r.status === 'error') return 'could not run';
  if (m.seconds !== undefined) return formatSeconds(m.seconds);
  return r.survived ? 'not measured' : 'not recovered';
}

/** "95 s (server), 310 s (AZ)": each type that ran, labelled, so that one figure never hides another. */
function measured(runs: TableRow['runs'], pick: (r: DrillResult) => Measure): string {
  const ran = order.filter((t) => runs[t]);
  return ran.map((t) => `${figure(runs[t]!, pick(runs[t]!))} (${disruptionWords[t]})`).join(', ');
}

function survives(r: DrillResult | undefined): string {
  if (!r) return 'not drilled';
  if (r.status === 'error') return 'could not run';
  return r.survived ? 'yes' : 'no';
}

/** The table's rows; a result without a mechanism is a row of its own, named for its drill. */
export function tableRows(results: DrillResult[]): TableRow[] {
  const rows = new Map<string, TableRow['runs']>();
  for (const r of results) {
    const key = r.drill.mechanism ?? r.drill.name;
    const runs = rows.get(key) ?? {};
    runs[r.disruption] = r; // the latest run of a type is the current figure, as in Resilience Hub
    rows.set(key, runs);
  }
  return [...rows].map(([mechanism, runs]) => ({
    mechanism,
    runs,
    cells: {
      mechanism,
      RTO: measured(runs, (r) => r.rto),
      RPO: measured(runs, (r) => r.rpo),
      'survives a server failure': survives(runs.Hardware),
      'survives an AZ failure': survives(runs.AZ),
    },
  }));
}

/** A cell of a Markdown table cannot hold a pipe or a line break. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

/** The table in Markdown, as the chapter and the README print it. */
export function markdownTable(results: DrillResult[]): string {
  const lines = [`| ${TABLE_COLUMNS.join(' | ')} |`, `|${TABLE_COLUMNS.map(() => '---').join('|')}|`];
  for (const row of tableRows(results)) lines.push(`| ${TABLE_COLUMNS.map((c) => cell(row.cells[c])).join(' | ')} |`);
  return lines.join('\n') + '\n';
}
