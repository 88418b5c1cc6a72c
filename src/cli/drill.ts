/**
 * `faultline drill ...`: runs drills through the control API (/_faultline/drills) and writes
 * their reports. `drill run` uses the faultline at $FAULTLINE_URL, or, when none answers there,
 * a fresh world of its own, in-process, for the one drill. `drill table` runs every drill of a
 * directory, each on a fresh world of its own, and prints the chapter's table.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { setOwn } from '../core/own.ts';
import { createApp } from '../app.ts';
import { sandboxUnsupported, type DriverName } from '../runtime/driver.ts';
import type { DrillResult } from '../drills/result.ts';
import type { DrillView } from '../drills/drills.ts';
import { controlCall, controlEndpoint } from './control.ts';
import { exitCode, formatSeconds } from '../drills/report/measures.ts';
import { terminalReport, terminalSummary, timelineHeader, timelineLine } from '../drills/report/terminal.ts';
import { jsonReport } from '../drills/report/json.ts';
import { htmlReport } from '../drills/report/html.ts';
import { junitReport, type Unrun } from '../drills/report/junit.ts';
import { markdownTable, tableRows, TABLE_COLUMNS } from '../drills/report/table.ts';

export const DRILL_USAGE = `  drill     measure recovery: RTO and RPO against a drill's targets
              drill run FILE [--fresh] [--report drill.html] [--json r.json] [--junit r.xml] [--driver NAME]
                        prints the timeline as it happens, then the verdict; exits 0 when the
                        targets are met, 1 when breached, 2 when the drill could not run. When no
                        faultline answers at $FAULTLINE_URL, or with --fresh, runs on a fresh
                        world of its own (manual clock, --driver or the best this machine has) and
                        removes it after
              drill list | show ID | stop ID
              drill report ID [--html FILE] [--json FILE] [--junit FILE]
              drill table DIR [--json FILE] [--junit FILE] [--driver NAME]
                        runs every drill file in DIR (.yaml, .yml, .json), each on a fresh world
                        of its own (never the faultline at $FAULTLINE_URL), and prints the
                        table: mechanism, RTO, RPO, survives a server failure, survives an AZ failure
`;

const POLL_MS = 250;

/**
 * The templates a drill file's stack steps name, read relative to the file and keyed as the file
 * names them: the control API takes their text with the drill and reads no file itself.
 */
export function drillTemplates(source: string, dir: string, file: string): Record<string, string> {
  let doc: { setup?: unknown } | undefined;
  try {
    doc = parseYaml(source);
  } catch {
    return {}; // the control API names the line of the YAML error
  }
  const out: Record<string, string> = {};
  for (const [i, step] of (Array.isArray(doc?.setup) ? doc.setup : []).entries()) {
    const template: unknown = step?.stack?.template;
    if (typeof template !== 'string' || Object.hasOwn(out, template)) continue;
    const path = resolve(dir, template);
    try {
      setOwn(out, template, readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: setup[${i}].stack.template: cannot read ${template}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (${path})`);
    }
  }
  return out;
}

/** Whether a faultline answers at `base` (a refused connection says no; other failures are errors). */
async function answers(base: string): Promise<boolean> {
  const token = process.env.FAULTLINE_TOKEN;
  let res: Response;
  try {
    res = await fetch(base + '/_faultline/health', { signal: AbortSignal.timeout(5000), headers: token ? { 'x-faultline-token': token } : {} });
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') return false;
    throw new Error(`cannot tell whether faultline answers at ${base}: ${(e as Error).message}`);
  }
  const text = await res.text();
  // A faultline that wants a token answers: say so, rather than run on a world of our own.
  if (res.status === 401) throw new Error(`the faultline at ${base} wants its control token: ${JSON.parse(text).error}`);
  return res.ok;
}

interface World {
  url: string;
  driver: DriverName;
  close(): Promise<void>;
}

/** A fresh faultline of our own, in-process: a temporary data directory and the manual clock. */
async function ownWorld(driver: DriverName | undefined, verbose: boolean): Promise<World> {
  const name = driver ?? ((await sandboxUnsupported()) ? 'simulated' : 'sandbox');
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
  let app;
  try {
    app = createApp({ dataDir, clock: 'manual', driver: name, log: (m) => verbose && process.stderr.write(m + '\n') });
    // The world starts at a whole minute, where EC2's once-a-minute status checks run, so that a
    // drill on a fresh world measures the same every time it runs (what CI compares).
    const now = app.env.clock.now();
    app.env.clock.set(Math.ceil(now / 60_000) * 60_000);
    const addr = await app.listen(0, '127.0.0.1');
    const world = app;
    return {
      url: `http://127.0.0.1:${addr.port}`,
      driver: name,
      async close() {
        await world.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await app?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts a drill from a file and follows it until it ends, giving each new timeline entry to
 * `onEntry`. A first SIGINT asks the drill to stop (it then ends as stopped); a second one
 * stops waiting.
 */
async function follow(base: string, file: string, onStart: (drillId: string) => void, onEntry: (e: DrillResult['timeline'][number], start: DrillResult['started']) => void): Promise<DrillView> {
  const path = resolve(file);
  const source = readFileSync(path, 'utf8');
  const templates = drillTemplates(source, dirname(path), basename(path));
  const { drillId } = await controlCall<{ drillId: string }>(base, 'POST', '/_faultline/drills', { source, file: path, templates });
  onStart(drillId);
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nstopping drill ${drillId} (Ctrl-C again to stop waiting)\n`);
      controlCall(base, 'POST', `/_faultline/drills/${drillId}/stop`).catch((e) => process.stderr.write(`could not stop ${drillId}: ${(e as Error).message}\n`));
    }
  };
  process.on('SIGINT', onSigint);
  try {
    // The timeline is in cloud-time order, and a line can arrive after later ones were shown (the
    // same cloud instant, written later in real time): lines are told apart by content, not place.
    const shown = new Set<string>();
    for (;;) {
      const view = await controlCall<DrillView>(base, 'GET', `/_faultline/drills/${drillId}`);
      const timeline = view.result?.timeline ?? view.timeline;
      const start = view.result?.started ?? timeline[0]?.at;
      for (const entry of timeline) {
        const key = JSON.stringify(entry);
        if (shown.has(key)) continue;
        shown.add(key);
        onEntry(entry, start!);
      }
      if (view.status !== 'running' || interrupts > 1) return view;
      await sleep(POLL_MS);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

interface ReportFiles {
  html?: string;
  json?: string;
  junit?: string;
}

function writeReports(r: DrillResult, files: ReportFiles) {
  if (files.html) writeFileSync(files.html, htmlReport(r));
  if (files.json) writeFileSync(files.json, JSON.stringify(jsonReport(r), null, 2) + '\n');
  if (files.junit) writeFileSync(files.junit, junitReport([r]));
  for (const [kind, f] of Object.entries(files)) if (f) process.stdout.write(`wrote the ${kind === 'junit' ? 'JUnit' : kind.toUpperCase()} report to ${f}\n`);
}

const color = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

function driverOption(v: string | undefined): DriverName | undefined {
  if (v !== undefined && v !== 'sandbox' && v !== 'simulated') throw new Error('--driver takes sandbox or simulated');
  return v as DriverName | undefined;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { report: { type: 'string' }, json: { type: 'string' }, junit: { type: 'string' }, driver: { type: 'string' }, fresh: { type: 'boolean' }, verbose: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new Error('usage: faultline drill run FILE [--fresh] [--report drill.html] [--json r.json] [--junit r.xml]');
  const driver = driverOption(values.driver);
  let world: World | undefined;
  try {
    let base = controlEndpoint();
    const running = !values.fresh && (await answers(base));
    if (running) {
      if (driver) throw new Error(`--driver chooses the driver of a world of drill run's own, but a faultline answers at ${base}: its driver is the one it was started with (--fresh runs on a world of its own)`);
    } else {
      world = await ownWorld(driver, Boolean(values.verbose));
      base = world.url;
      const why = values.fresh ? '--fresh' : `no faultline answers at ${controlEndpoint()}`;
      process.stdout.write(`${why}: running on a fresh world of its own (${world.driver} driver, manual clock)\n`);
    }
    const view = await follow(base, file, (id) => process.stdout.write(`drill ${id} started\n${timelineHeader({ color: color() })}\n`), (e, start) => process.stdout.write(timelineLine(e, start, { color: color() }) + '\n'));
    if (!view.result) {
      process.stdout.write(`\ndrill ${view.name}: ${view.status}${view.error ? `: ${view.error}` : ', with no result'}\n`);
      return 2;
    }
    process.stdout.write('\n' + terminalSummary(view.result, { color: color() }));
    writeReports(view.result, { html: values.report, json: values.json, junit: values.junit });
    // A drill stopped before its end measured only part of the recovery: it did not run.
    if (view.status === 'stopped') {
      process.stdout.write(`drill ${view.drillId} was stopped before its end\n`);
      return 2;
    }
    return exitCode(view.result);
  } catch (e) {
    // The runner's errors name the file and line already; so does a missing file's.
    process.stderr.write(`faultline: drill run: ${(e as Error).message}\n`);
    return 2;
  } finally {
    await world?.close();
  }
}

/** The drill files of a directory, in name order: the order of the table's rows. */
function drillFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new Error(`cannot read the directory ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`);
  }
  const names = entries.filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
  if (!names.length) throw new Error(`${dir} holds no drill file (.yaml, .yml or .json)`);
  return names.map((n) => join(dir, n));
}

async function table(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'string' }, junit: { type: 'string' }, driver: { type: 'string' }, verbose: { type: 'boolean' } },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new Error('usage: faultline drill table DIR [--json FILE] [--junit FILE]');
  const driver = driverOption(values.driver);
  const files = drillFiles(dir);
  // Each drill runs on a fresh world of its own, on a port of its own: a faultline already
  // running at FAULTLINE_URL holds the user's world, which the table neither reads nor changes.
  const results: DrillResult[] = [];
  const unrun: Unrun[] = [];
  for (const file of files) {
    const world = await ownWorld(driver, Boolean(values.verbose));
    try {
      const view = await follow(world.url, file, () => undefined, () => undefined);
      if (view.status === 'stopped') unrun.push({ file: basename(file), error: 'stopped before its end' });
      else if (view.result) {
        results.push(view.result);
        const r = view.result;
        process.stdout.write(`${basename(file)}: ${r.status === 'error' ? `could not run: ${r.error}` : `${r.compliance}, RTO ${formatSeconds(r.rto.seconds)}, RPO ${formatSeconds(r.rpo.seconds)}`}\n`);
      } else unrun.push({ file: basename(file), error: `ended ${view.status}${view.error ? `: ${view.error}` : ', with no result'}` });
    } catch (e) {
      unrun.push({ file: basename(file), error: (e as Error).message });
    } finally {
      await world.close();
    }
  }
  for (const u of unrun) process.stderr.write(`${u.file}: could not run: ${u.error}\n`);
  process.stdout.write('\n' + markdownTable(results));
  if (values.json) {
    const rows = tableRows(results).map((row) => ({ ...row.cells, drills: Object.values(row.runs).map((r) => r!.drill.file ?? r!.drill.name) }));
    writeFileSync(values.json, JSON.stringify({ columns: TABLE_COLUMNS, rows, reports: results.map((r) => jsonReport(r)), unrun }, null, 2) + '\n');
  }
  if (values.junit) writeFileSync(values.junit, junitReport(results, 'faultline drill table', unrun));
  // As drill run: 2 when a drill could not run, else 1 when one breached its targets, else 0.
  return unrun.length ? 2 : Math.max(0, ...results.map(exitCode));
}

async function finished(id: string): Promise<DrillResult> {
  const view = await controlCall<DrillView>(controlEndpoint(), 'GET', `/_faultline/drills/${encodeURIComponent(id)}`);
  if (!view.result) throw new Error(`drill ${id} is ${view.status} and has no result yet`);
  return view.result;
}

/** `faultline drill ...`; gives the exit code. */
export async function drill(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'run':
      return run(rest);
    case 'table':
      return table(rest).catch((e) => {
        process.stderr.write(`faultline: drill table: ${(e as Error).message}\n`);
        return 2;
      });
    case 'list': {
      const { drills } = await controlCall<{ drills: { drillId: string; name: string; status: string; started: string }[] }>(controlEndpoint(), 'GET', '/_faultline/drills');
      for (const d of drills) process.stdout.write(`${d.drillId}  ${d.status.padEnd(8)}  ${d.started}  ${d.name}\n`);
      if (!drills.length) process.stdout.write('no drills\n');
      return 0;
    }
    case 'show': {
      if (!rest[0]) throw new Error('usage: faultline drill show ID');
      const view = await controlCall<DrillView>(controlEndpoint(), 'GET', `/_faultline/drills/${encodeURIComponent(rest[0])}`);
      if (view.result) process.stdout.write(terminalReport(view.result, { color: color() }));
      else {
        process.stdout.write(`drill ${view.drillId} ${view.name}: ${view.status}\n${timelineHeader({ color: color() })}\n`);
        for (const e of view.timeline) process.stdout.write(timelineLine(e, view.timeline[0].at, { color: color() }) + '\n');
      }
      return 0;
    }
    case 'report': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { html: { type: 'string' }, json: { type: 'string' }, junit: { type: 'string' } } });
      if (!positionals[0] || !(values.html || values.json || values.junit)) throw new Error('usage: faultline drill report ID --html FILE | --json FILE | --junit FILE');
      writeReports(await finished(positionals[0]), values);
      return 0;
    }
    case 'stop': {
      if (!rest[0]) throw new Error('usage: faultline drill stop ID');
      const view = await controlCall<{ drillId: string; status: string }>(controlEndpoint(), 'POST', `/_faultline/drills/${encodeURIComponent(rest[0])}/stop`);
      process.stdout.write(`drill ${view.drillId ?? rest[0]}: ${view.status ?? 'stopping'}\n`);
      return 0;
    }
    default:
      throw new Error(`drill what? run, list, show, report, stop or table\n${DRILL_USAGE}`);
  }
}
