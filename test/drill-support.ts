/**
 * Runs a drill through the control API, as `faultline drill run` does: POST the file's text, then
 * read the drill until it is no longer running. The drill steps the manual clock itself; the test
 * only waits (in real time, with a deadline) for the runner to finish its work.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { drillTemplates } from '../src/cli/drill.ts';
import type { Faultline } from './harness.ts';
import type { DrillView } from '../src/drills/drills.ts';

/** The example's drills (in the repository, beside the templates they deploy): the tests run what users run. */
export const DRILLS = new URL('../examples/aws-in-action-ch11/drills/', import.meta.url).pathname;


export async function control(fl: Faultline, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fl.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Starts the drill in `source` (or the file `path`) with the templates it names, as the CLI sends them; answers the POST's status and body. */
export function postDrill(fl: Faultline, path: string, source = readFileSync(path, 'utf8')) {
  const file = basename(path);
  return control(fl, 'POST', '/_faultline/drills', { source, file, templates: drillTemplates(source, dirname(path), file) });
}

/** Reads the drill until it ends (real-time deadline, for the runner's work, not cloud time). */
export async function finished(fl: Faultline, drillId: string, realDeadlineMs = 120_000): Promise<DrillView> {
  const give = Date.now() + realDeadlineMs;
  for (;;) {
    const { body } = await control(fl, 'GET', `/_faultline/drills/${drillId}`);
    if (body.status !== 'running') return body;
    if (Date.now() > give) throw new Error(`drill ${drillId} still running after ${realDeadlineMs} ms: ${JSON.stringify(body.timeline.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Moves the manual clock to the next whole minute, where EC2's once-a-minute status checks run, so that the timings are exact. */
export function alignToMinute(fl: Faultline): number {
  const now = fl.app.env.clock.now();
  fl.advance((60_000 - (now % 60_000)) / 1000);
  return fl.app.env.clock.now();
}

/** Cloud seconds from `t0` (ms) to an instant. */
export const since = (t0: number, at: { cloud: string } | undefined) => (at ? (Date.parse(at.cloud) - t0) / 1000 : undefined);
