/**
 * `faultline status`: the world as a tree (region › AZ › host › what runs there), with what is
 * down and the faults that did it marked in words, not colour. Hosts with nothing on them and no
 * fault are counted, not listed, so that a large world stays readable. `--json` prints the
 * control API's view as it is, for scripts.
 */

import type { Resident } from '../world/view.ts';

interface Host { hostId: string; power: string; network: string; capacity: number; residents: Resident[] }
interface Zone { zone: string; power: string; network: string; hosts: Host[] }
interface Fault { faultId: string; kind: string; target: string; region: string; effect?: string; operation?: string; errorCode?: string; endsAt?: number }
export interface World { clock: string; clockMode?: { mode: string; scale: number }; regions: { region: string; zones: Zone[] }[]; faults: Fault[] }

const health = (x: { power: string; network: string }) => (x.power !== 'on' ? 'DOWN (power off)' : x.network !== 'up' ? 'DOWN (network cut)' : 'up');

const faultText = (f: Fault) => {
  const what = f.kind === 'api' ? `api ${f.target} ${f.operation ?? '*'} → ${f.errorCode}` : `${f.kind} ${f.target}${f.effect === 'network' ? ' (network)' : ''}`;
  return `${f.faultId}  ${what}${f.endsAt ? `, heals at ${new Date(f.endsAt).toISOString()}` : ''}`;
};

const residentText = (r: Resident) =>
  r.kind === 'instance' ? `${r.id}  ${r.state}  (account ${r.account})` : `db ${r.id}  ${r.role}, ${r.state}  (account ${r.account})`;

export function renderStatus(world: World): string {
  const out: string[] = [];
  const mode = world.clockMode ? ` (${world.clockMode.mode === 'manual' ? 'manual' : `${world.clockMode.mode} x${world.clockMode.scale}`})` : '';
  out.push(`clock ${world.clock}${mode}`);
  out.push(world.faults.length ? `faults:\n${world.faults.map((f) => `  ${faultText(f)}`).join('\n')}` : 'faults: none');
  // Faults by what they name, to mark the tree where they act.
  const marks = new Map<string, string[]>();
  for (const f of world.faults) for (const t of f.target.split(',')) marks.set(t, [...(marks.get(t) ?? []), f.faultId]);
  const mark = (id: string) => (marks.has(id) ? `  [${marks.get(id)!.join(', ')}]` : '');
  for (const r of world.regions) {
    out.push('', r.region);
    r.zones.forEach((z, zi) => {
      const lastZone = zi === r.zones.length - 1;
      const used = z.hosts.reduce((n, h) => n + h.residents.length, 0);
      out.push(`${lastZone ? '└─' : '├─'} ${z.zone}  ${health(z)}  ${z.hosts.length} hosts, ${used} running${mark(z.zone)}`);
      const zpad = lastZone ? '   ' : '│  ';
      // A host is as down as its zone: the zone's power or network failing takes every host in it.
      const hostHealth = (h: Host) => health({ power: z.power === 'on' ? h.power : z.power, network: z.network === 'up' ? h.network : z.network });
      const shown = z.hosts.filter((h) => h.residents.length || marks.has(h.hostId) || health(h) !== 'up');
      const idle = z.hosts.length - shown.length;
      const lines = shown.map((h) => ({ h, text: `${h.hostId}  ${hostHealth(h)}  ${h.residents.length}/${h.capacity}${mark(h.hostId)}` }));
      lines.forEach(({ h, text }, hi) => {
        const lastHost = hi === lines.length - 1 && !idle;
        out.push(`${zpad}${lastHost ? '└─' : '├─'} ${text}`);
        const hpad = zpad + (lastHost ? '   ' : '│  ');
        h.residents.forEach((res, ri) => out.push(`${hpad}${ri === h.residents.length - 1 ? '└─' : '├─'} ${residentText(res)}${mark(res.id)}`));
      });
      const idleState = health(z) === 'up' ? 'up' : 'down with the zone';
      if (idle) out.push(`${zpad}└─ ${idle} more host${idle === 1 ? '' : 's'} ${idleState}, with nothing on ${idle === 1 ? 'it' : 'them'}`);
    });
  }
  return out.join('\n') + '\n';
}
