/**
 * `faultline drill` as a user runs it (the built command, bin/faultline.mjs) against a real
 * faultline: exit 0 when the targets are met, 1 when breached, 2 when the drill cannot run; the
 * HTML, JSON and JUnit files it writes; list, show and report of past drills; and `drill table`
 * running each drill of a directory on a fresh world of its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { startFaultline, type Faultline } from '../harness.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'drills');
const cli = join(import.meta.dirname, '..', '..', 'bin', 'faultline.mjs');
const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'drill-report.schema.json'), 'utf8'));

/** Runs `faultline drill ...` to its end; never throws on a non-zero exit. */
function drill(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'drill', ...args], { env, maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Polls a real process's output until `get` finds what it waits for, up to a real-time deadline. */
async function realTimeWait<T>(get: () => T | undefined, ms: number): Promise<T> {
  for (let waited = 0; waited < ms; waited += 50) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing after ${ms} ms`);
}

/** A loopback port where nothing listens, so that drill run and drill table make a world of their own. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('faultline drill', () => {
  let fl: Faultline;
  let out: string;
  /** The running faultline's newest event, read page by page (a page holds at most 1,000). */
  const lastSeq = async () => {
    let seq = 0;
    for (;;) {
      const { events } = (await (await fetch(`${fl.url}/_faultline/events?after=${seq}`)).json()) as { events: { seq: number }[] };
      if (!events.length) return seq;
      seq = events.at(-1)!.seq;
    }
  };
  const reset = () => fetch(`${fl.url}/_faultline/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

  before(async () => {
    fl = await startFaultline();
    out = mkdtempSync(join(tmpdir(), 'faultline-drill-cli-'));
  });
  after(async () => {
    await fl.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs a drill that meets its targets: the live timeline, the verdict, exit 0, and the three reports', async () => {
    await reset();
    const [html, json, junit] = ['drill.html', 'drill.json', 'drill.xml'].map((f) => join(out, f));
    const r = await drill(fl.clientEnv, 'run', join(fixtures, 'server-stop.yaml'), '--report', html, '--json', json, '--junit', junit);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^drill drill-\S+ started$/m);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d \+\d+m\d\ds +\d\d:\d\d:\d\d\.\d{3} fault /m, 'the fault on the timeline');
    assert.match(r.stdout, /verdict +PolicyMet/);
    assert.match(r.stdout, /RTO +.*\(target 15 min: met\)/);

    const report = JSON.parse(readFileSync(json, 'utf8'));
    const validate = new Ajv({ strict: true }).compile(schema);
    assert.equal(validate(report), true, JSON.stringify(validate.errors));
    assert.equal(report.assessment.complianceStatus, 'PolicyMet');
    assert.equal(report.assessment.compliance.Hardware.rtoReferenceId, report.experiment.id);
    assert.ok(report.assessment.compliance.Hardware.currentRtoInSecs >= 120, 'the server was stopped two minutes');

    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg[^>]*class="timeline"/);
    assert.match(page, /<span class="verdict met">PolicyMet<\/span>/);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    assert.equal(suite.failures, '0');
    assert.equal(suite.errors, '0');
    assert.equal(suite.tests, '3');
  });

  it('lists past drills, shows one, and writes its reports again', async () => {
    const list = await drill(fl.clientEnv, 'list');
    assert.equal(list.code, 0, list.stderr);
    const id = /^(drill-\S+) +met +\S+ +server-stop$/m.exec(list.stdout)?.[1];
    assert.ok(id, list.stdout);
    const show = await drill(fl.clientEnv, 'show', id);
    assert.match(show.stdout, /verdict +PolicyMet/);
    const json = join(out, 'again.json');
    const report = await drill(fl.clientEnv, 'report', id, '--json', json);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(JSON.parse(readFileSync(json, 'utf8')).drill.name, 'server-stop');
    const missing = await drill(fl.clientEnv, 'show', 'drill-nothere');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /drill-nothere/);
  });

  it('exits 1 when the drill breaches its targets, and the JUnit report fails the RTO', async () => {
    await reset();
    const junit = join(out, 'tight.xml');
    const r = await drill(fl.clientEnv, 'run', join(fixtures, 'server-stop-tight.yaml'), '--junit', junit);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /verdict +PolicyBreached/);
    assert.match(r.stdout, /RTO +.*\(target 30 s: BREACHED\)/);
    const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite.testcase;
    assert.equal(cases[0].failure.type, 'PolicyBreached');
    assert.match(cases[1].name, /Hardware RTO within 30 s/);
    assert.equal(cases[1].failure.type, 'PolicyBreached');
    assert.equal(cases[2].failure, undefined, 'the RPO held');
  });

  it('exits 2 when the drill cannot run: a setup that fails, a malformed file, a missing file', async () => {
    await reset();
    const json = join(out, 'fails.json');
    const fails = await drill(fl.clientEnv, 'run', join(fixtures, 'setup-fails.yaml'), '--json', json);
    assert.equal(fails.code, 2, fails.stdout + fails.stderr);
    assert.match(fails.stdout + fails.stderr, /broken/, 'names the stack that failed');

    const malformed = await drill(fl.clientEnv, 'run', join(fixtures, 'malformed.yaml'));
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /malformed\.yaml:\d+: /, 'the error names the line');
    assert.match(malformed.stderr, /targets\.Hardware\.rtoInSecs/, 'and the field');

    const missing = await drill(fl.clientEnv, 'run', join(fixtures, 'nothere.yaml'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nothere\.yaml/);
  });

  it('stops a running drill: drill stop, and drill run exits 2 with what it saw', async () => {
    await reset();
    const child = spawn(process.execPath, [cli, 'drill', 'run', join(fixtures, 'server-stop-slow.yaml')], { env: fl.clientEnv });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    try {
      const id = await realTimeWait(() => /^drill (drill-\S+) started$/m.exec(stdout)?.[1], 30_000);
      const stop = await drill(fl.clientEnv, 'stop', id);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stdout, `drill ${id}: stopping\n`);
      assert.equal(await exited, 2, stdout);
      assert.match(stdout, new RegExp(`drill ${id} was stopped before its end`));
      assert.match((await drill(fl.clientEnv, 'list')).stdout, new RegExp(`^${id} +stopped `, 'm'));
      const again = await drill(fl.clientEnv, 'stop', id);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is not running/);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });

  it('runs on a fresh world of its own when no faultline answers or with --fresh, and removes it after', async () => {
    const env = { ...fl.clientEnv, FAULTLINE_URL: `http://127.0.0.1:${await freePort()}`, TMPDIR: mkdtempSync(join(out, 'tmp-')) };
    const r = await drill(env, 'run', join(fixtures, 'server-stop.yaml'), '--driver', 'simulated');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no faultline answers at .*: running on a fresh world of its own \(simulated driver, manual clock\)/);
    assert.match(r.stdout, /verdict +PolicyMet/);
    assert.deepEqual(readdirSync(env.TMPDIR!), [], 'its data directory is gone');

    // With --fresh, on a world of its own though a faultline answers, whose event log gains nothing.
    const before = await lastSeq();
    const fresh = await drill({ ...fl.clientEnv, TMPDIR: env.TMPDIR }, 'run', '--fresh', join(fixtures, 'server-stop.yaml'), '--driver', 'simulated');
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, /--fresh: running on a fresh world of its own \(simulated driver, manual clock\)/);
    assert.equal(await lastSeq(), before);
    assert.deepEqual(readdirSync(env.TMPDIR!), []);
  });

  it('drill table runs each drill of a directory on a fresh world of its own and prints a row per mechanism, leaving a running faultline alone', async () => {
    const junit = join(out, 'table.xml');
    // A faultline answers at FAULTLINE_URL: the table's worlds are its own, and that one's event
    // log gains nothing.
    const before = await lastSeq();
    const r = await drill(fl.clientEnv, 'table', join(fixtures, 'table'), '--driver', 'simulated', '--junit', junit);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    assert.equal(rows[0], '| mechanism | RTO | RPO | survives a server failure | survives an AZ failure |');
    assert.match(rows[1], /^\| one server, restarted \| \d+ (s|min).* \(server\) \| 0 s \(server\) \| yes \| not drilled \|$/);
    assert.match(rows[2], /^\| one server, rebooted \| .* \(software\) \| .* \(software\) \| not drilled \| not drilled \|$/);
    assert.equal(rows.length, 3);
    assert.ok(existsSync(junit));
    assert.equal(await lastSeq(), before);
  });
});
