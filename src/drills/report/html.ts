/**
 * The HTML report: one self-contained page (no external assets, no script) with the verdict,
 * the figures against their targets, the timeline drawn as SVG on a cloud-time axis, each
 * probe's results over time, and the timeline as a table. Every string from the result is
 * escaped: drill names, messages and probe details come from files and from the world.
 */
import type { DrillResult, Instant, ProbeResult, TimelineEntry } from '../result.ts';
import { breakdownText, disruptionWords, figures, formatSeconds } from './measures.ts';

/** Escapes text for HTML content and quoted attribute values alike. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WIDTH = 960;
const LEFT = 120;
const RIGHT = 20;
const LANE = 30;

const lanes = ['fault', 'detect', 'decide', 'repair', 'recovered', 'other'] as const;
type Lane = (typeof lanes)[number];
const laneOf = (p: TimelineEntry['phase']): Lane => ((lanes as readonly string[]).includes(p) ? (p as Lane) : 'other');
const laneColor: Record<Lane, string> = { fault: '#c62828', detect: '#ef6c00', decide: '#6a1b9a', repair: '#1565c0', recovered: '#2e7d32', other: '#757575' };

/** Maps cloud instants onto the x axis between the drill's start and end. */
function axis(r: DrillResult) {
  const t0 = Date.parse(r.started.cloud);
  const span = Math.max(1000, Date.parse(r.ended.cloud) - t0);
  const zero = r.faultStart ? Date.parse(r.faultStart.cloud) : t0;
  const x = (at: Instant) => LEFT + ((Date.parse(at.cloud) - t0) / span) * (WIDTH - LEFT - RIGHT);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
  const step = (steps.find((s) => (span / 1000) / s <= 8) ?? 86400) * 1000;
  const ticks: { x: number; label: string }[] = [];
  // Ticks at whole steps from the fault (T+0), which reads as "how long after the fault".
  for (let t = zero - Math.floor((zero - t0) / step) * step; t <= t0 + span; t += step) {
    const s = (t - zero) / 1000;
    ticks.push({ x: LEFT + ((t - t0) / span) * (WIDTH - LEFT - RIGHT), label: `T${s < 0 ? '-' : '+'}${formatSeconds(Math.abs(s)).replace(' ', '')}` });
  }
  return { x, ticks };
}

function axisSvg(ticks: { x: number; label: string }[], top: number, bottom: number): string {
  return ticks
    .map((t) => `<line x1="${t.x.toFixed(1)}" y1="${top}" x2="${t.x.toFixed(1)}" y2="${bottom}" stroke="#e0e0e0"/><text x="${t.x.toFixed(1)}" y="${bottom + 14}" font-size="11" text-anchor="middle" fill="#555">${esc(t.label)}</text>`)
    .join('');
}

const when = (at: Instant) => `cloud ${at.cloud}, real ${at.real}`;

function timelineSvg(r: DrillResult): string {
  const { x, ticks } = axis(r);
  const height = lanes.length * LANE + 30;
  const parts: string[] = [axisSvg(ticks, 0, lanes.length * LANE)];
  if (r.faultStart) {
    const x0 = x(r.faultStart);
    const x1 = r.recovered ? x(r.recovered) : WIDTH - RIGHT;
    const label = r.recovered ? `RTO ${formatSeconds(r.rto.seconds)}` : 'not recovered';
    parts.push(`<rect x="${x0.toFixed(1)}" y="0" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${lanes.length * LANE}" fill="${r.recovered ? '#fff3e0' : '#ffebee'}"><title>${esc(label)}</title></rect>`);
    parts.push(`<text x="${(x0 + 4).toFixed(1)}" y="${lanes.length * LANE - 6}" font-size="11" fill="#555">${esc(label)}</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = i * LANE + LANE / 2;
    parts.push(`<text x="8" y="${y + 4}" font-size="12" fill="${laneColor[lane]}">${lane}</text><line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#eeeeee"/>`);
  });
  for (const e of r.timeline) {
    const lane = laneOf(e.phase);
    const y = lanes.indexOf(lane) * LANE + LANE / 2;
    parts.push(`<circle cx="${x(e.at).toFixed(1)}" cy="${y}" r="5" fill="${laneColor[lane]}"><title>${esc(`${e.phase} ${e.source}: ${e.message}${e.resource ? ` (${e.resource})` : ''}; ${when(e.at)}`)}</title></circle>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="timeline on a cloud-time axis">${parts.join('')}</svg>`;
}

function probesSvg(r: DrillResult): string {
  if (!r.probes.length) return '<p>No probes.</p>';
  const { x, ticks } = axis(r);
  const height = r.probes.length * LANE + 30;
  const parts: string[] = [axisSvg(ticks, 0, r.probes.length * LANE)];
  r.probes.forEach((p, i) => {
    const y = i * LANE + 6;
    parts.push(`<text x="8" y="${y + 13}" font-size="12">${esc(p.name.length > 16 ? p.name.slice(0, 15) + '…' : p.name)}</text>`);
    p.samples.forEach((s, j) => {
      // Each sample holds until the next one (the last one for a sliver), so gaps read as time.
      const x0 = x(s.at);
      const x1 = j + 1 < p.samples.length ? x(p.samples[j + 1].at) : x0 + 3;
      parts.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${LANE - 12}" fill="${s.ok ? '#66bb6a' : '#e53935'}"><title>${esc(`${p.name}: ${s.ok ? 'ok' : 'failed'}${s.detail ? `, ${s.detail}` : ''}; ${when(s.at)}`)}</title></rect>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="probes" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="probe results over cloud time">${parts.join('')}</svg>`;
}

function probeTable(p: ProbeResult): string {
  const ok = p.samples.filter((s) => s.ok).length;
  const rows = p.samples.map((s) => `<tr><td>${esc(s.at.cloud)}</td><td>${esc(s.at.real)}</td><td class="${s.ok ? 'ok' : 'bad'}">${s.ok ? 'ok' : 'failed'}</td><td>${esc(s.detail ?? '')}</td></tr>`).join('');
  return `<details><summary>${esc(p.name)} (${esc(p.kind)} ${esc(p.target)}): ${ok} of ${p.samples.length} checks passed</summary><table><tr><th>cloud time</th><th>real time</th><th>result</th><th>detail</th></tr>${rows}</table></details>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;color:#212121;max-width:1000px}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:bold}
.met{background:#2e7d32}.breached{background:#c62828}.error{background:#616161}
td.ok{color:#2e7d32}td.bad{color:#c62828;font-weight:bold}svg{display:block;margin:.5em 0}`;

/** The HTML report of one run, as one self-contained page. */
export function htmlReport(r: DrillResult): string {
  const verdict = r.status === 'error' ? 'could not run' : r.compliance;
  const rows = figures(r)
    .map(
      (f) =>
        `<tr><th>${f.name}</th><td>${f.measure.seconds === undefined ? 'not measured' : esc(formatSeconds(f.measure.seconds))}</td><td>${f.measure.realSeconds === undefined ? '' : esc(formatSeconds(f.measure.realSeconds))}</td><td>${f.target === undefined ? 'none' : esc(formatSeconds(f.target))}</td><td class="${f.verdict === 'breached' ? 'bad' : 'ok'}">${f.verdict}</td><td>${esc(f.measure.method)}</td></tr>`,
    )
    .join('');
  const timelineRows = r.timeline
    .map((e) => `<tr><td>${esc(e.at.cloud)}</td><td>${esc(e.at.real)}</td><td style="color:${laneColor[laneOf(e.phase)]}">${esc(e.phase)}</td><td>${esc(e.source)}</td><td>${esc(e.message)}</td><td>${esc(e.resource ?? '')}</td></tr>`)
    .join('');
  const facts = [
    ['disruption', `${r.disruption} (${disruptionWords[r.disruption]} failure)`],
    ['survived', r.status === 'error' ? 'n/a' : r.survived ? 'yes' : 'no'],
    ['driver, clock', `${r.driver}, ${r.clockMode}`],
    ['started', when(r.started)],
    ['fault', r.faultStart ? when(r.faultStart) : 'none'],
    ['recovered', r.recovered ? when(r.recovered) : 'never'],
    ['ended', when(r.ended)],
    ...(r.experiment ? [['FIS experiment', `${r.experiment.id} ${r.experiment.status}${r.experiment.reason ? `: ${r.experiment.reason}` : ''}`]] : []),
    ...(r.drill.file ? [['file', r.drill.file]] : []),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`drill ${r.drill.name}: ${verdict}`)}</title><style>${STYLE}</style></head>
<body>
<h1>Drill: ${esc(r.drill.name)}</h1>
${r.drill.description ? `<p>${esc(r.drill.description)}</p>` : ''}
<p><span class="verdict ${esc(r.status)}">${esc(verdict)}</span>${r.error ? ` ${esc(r.error)}` : ''}</p>
<table>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Recovery against the targets</h2>
<table><tr><th></th><th>measured (cloud)</th><th>real time</th><th>target</th><th>verdict</th><th>measured by</th></tr>${rows}</table>
<p>Breakdown: ${esc(breakdownText(r.breakdown))}.</p>
<h2>Timeline</h2>
${timelineSvg(r)}
<h2>Probes</h2>
${probesSvg(r)}
${r.probes.map(probeTable).join('\n')}
<h2>Events</h2>
<table><tr><th>cloud time</th><th>real time</th><th>phase</th><th>source</th><th>message</th><th>resource</th></tr>${timelineRows}</table>
</body></html>
`;
}
