/**
 * The world: regions, then zones, then hosts, with what runs on each host. A zone, a host and an
 * instance are buttons: activating one selects it, and the actions panel offers to fail or heal
 * it. Kept compact for a thousand instances: a region with nothing on it is collapsed, a host
 * lists its first few residents and a button shows the rest, and an empty host is one small tile.
 */
import { useState } from 'preact/hooks';
import { Badge } from './badge.tsx';
import type { Fault, Host, Resident, World, Zone } from './model.ts';
import { instanceStatus, placeStatus } from './status.ts';

/** What a fault can be aimed at from the world. */
export type Target = { kind: 'az'; region: string; id: string } | { kind: 'host'; region: string; id: string } | { kind: 'instance'; region: string; id: string };

const SHOWN = 8;

export const faultsOn = (faults: Fault[], t: Target) => faults.filter((f) => f.kind === t.kind && f.target === t.id);

interface Props {
  world: World;
  impaired: ReadonlySet<string>;
  selected?: Target;
  onSelect(t: Target, el: HTMLElement): void;
}

export function WorldView({ world, impaired, selected, onSelect }: Props) {
  return (
    <div class="world">
      {world.regions.map((r, i) => {
        const residents = r.zones.reduce((n, z) => n + z.hosts.reduce((m, h) => m + h.residents.length, 0), 0);
        const down = r.zones.filter((z) => placeStatus(z).tone !== 'ok').length;
        return (
          <details class="region" open={i === 0 || residents > 0} key={r.region}>
            <summary>
              <h3>{r.region}</h3>
              <span class="summary">
                {r.zones.length} zones, {residents} running{down ? `, ${down} zone${down > 1 ? 's' : ''} down` : ''}
              </span>
            </summary>
            <div class="zones">
              {r.zones.map((z) => (
                <ZoneView key={z.zone} region={r.region} zone={z} faults={world.faults} impaired={impaired} selected={selected} onSelect={onSelect} />
              ))}
            </div>
          </details>
        );
      })}
    </div>
  );
}

const isSelected = (selected: Target | undefined, kind: Target['kind'], id: string) => selected?.kind === kind && selected.id === id;

function ZoneView({ region, zone, faults, impaired, selected, onSelect }: { region: string; zone: Zone; faults: Fault[]; impaired: ReadonlySet<string>; selected?: Target; onSelect: Props['onSelect'] }) {
  const st = placeStatus(zone);
  const target: Target = { kind: 'az', region, id: zone.zone };
  const count = zone.hosts.reduce((n, h) => n + h.residents.length, 0);
  return (
    <section class={`zone tone-edge-${st.tone}`} aria-label={`zone ${zone.zone}`}>
      <button
        class="target zone-name"
        aria-pressed={isSelected(selected, 'az', zone.zone)}
        data-zone={zone.zone}
        data-state={st.text}
        onClick={(e) => onSelect(target, e.currentTarget)}
      >
        <span class="name">{zone.zone}</span> <Badge status={st} />
        {faultsOn(faults, target).length > 0 && <span class="fault-mark">fault</span>}
        <span class="count">{count} running</span>
      </button>
      <ul class="hosts">
        {zone.hosts.map((h) => (
          <HostView key={h.hostId} region={region} host={h} zoneDown={st.tone !== 'ok'} faults={faults} impaired={impaired} selected={selected} onSelect={onSelect} />
        ))}
      </ul>
    </section>
  );
}

function HostView({ region, host, zoneDown, faults, impaired, selected, onSelect }: { region: string; host: Host; zoneDown: boolean; faults: Fault[]; impaired: ReadonlySet<string>; selected?: Target; onSelect: Props['onSelect'] }) {
  const [all, setAll] = useState(false);
  const own = placeStatus(host);
  // A host in a dark zone is dark too, whatever its own record says.
  const st = own.tone === 'ok' && zoneDown ? { ...own, tone: 'bad' as const, icon: '✕', text: 'zone down' } : own;
  const target: Target = { kind: 'host', region, id: host.hostId };
  const shown = all ? host.residents : host.residents.slice(0, SHOWN);
  // The zone is shown above: the host's number is enough on its tile (its label names it whole).
  const short = `host ${host.hostId.slice(host.hostId.lastIndexOf('-') + 1)}`;
  return (
    <li class={`host tone-edge-${st.tone}${host.residents.length ? '' : ' empty'}`}>
      <button class="target host-name" aria-pressed={isSelected(selected, 'host', host.hostId)} data-host={host.hostId} data-state={st.text} onClick={(e) => onSelect(target, e.currentTarget)}>
        <span class="name">{short}</span>
        <span class="sr-only">
          {' '}
          ({host.hostId}, {host.residents.length} running)
        </span>{' '}
        <Badge status={st} />
        {faultsOn(faults, target).length > 0 && <span class="fault-mark">fault</span>}
      </button>
      {host.residents.length > 0 && (
        <ul class="residents">
          {shown.map((r) => (
            <ResidentView key={`${r.kind}:${r.id}:${r.role ?? ''}`} region={region} r={r} impaired={impaired.has(r.id)} faulted={faultsOn(faults, { kind: 'instance', region, id: r.id }).length > 0} selected={selected} onSelect={onSelect} />
          ))}
          {host.residents.length > SHOWN && (
            <li>
              <button class="more" aria-expanded={all} onClick={() => setAll(!all)}>
                {all ? 'show fewer' : `+${host.residents.length - SHOWN} more`}
              </button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

function ResidentView({ region, r, impaired, faulted, selected, onSelect }: { region: string; r: Resident; impaired: boolean; faulted: boolean; selected?: Target; onSelect: Props['onSelect'] }) {
  const st = instanceStatus(r.state === 'available' ? 'running' : r.state, impaired);
  if (r.kind === 'db-instance') {
    return (
      <li class="resident db">
        <span class="chip" data-instance={r.id}>
          <span aria-hidden="true">⛁</span> {r.id} ({r.role}) <Badge status={{ ...st, text: r.state }} />
        </span>
      </li>
    );
  }
  return (
    <li class="resident">
      <button class="target chip" aria-pressed={isSelected(selected, 'instance', r.id)} data-instance={r.id} data-state={st.text} onClick={(e) => onSelect({ kind: 'instance', region, id: r.id }, e.currentTarget)}>
        {r.id} <Badge status={st} />
        {faulted && <span class="fault-mark">fault</span>}
      </button>
    </li>
  );
}
