/**
 * The web console, served by faultline at /_faultline/console/: the world and what runs on it,
 * the timeline beside it, the clock, the overview (alarms, groups, stacks, load balancers, DB
 * instances) and drills. It reads and acts only through the control API (api.ts), and is kept
 * current by the event stream (live.ts).
 */
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { Actions } from './actions.tsx';
import { ClockBar } from './clock.tsx';
import { Drills } from './drills.tsx';
import { useLive } from './live.ts';
import { Alarms, DbInstances, Groups, LoadBalancers, Stacks } from './panels.tsx';
import { Timeline } from './timeline.tsx';
import { WorldView, type Target } from './world.tsx';

function App() {
  const live = useLive();
  const [selected, setSelected] = useState<{ target: Target; el: HTMLElement }>();
  const impaired = useMemo(() => new Set(live.overview?.impaired ?? []), [live.overview?.impaired]);
  // The big views are built again only when what they show changed: the same element tells Preact
  // to skip it, so an event that only adds a timeline line does not walk thousands of instances.
  const worldView = useMemo(
    () => (live.world ? <WorldView world={live.world} impaired={impaired} selected={selected?.target} onSelect={(target, el) => setSelected({ target, el })} /> : <p>loading…</p>),
    [live.world, impaired, selected?.target],
  );
  const o = live.overview;
  const alarms = useMemo(() => o && <Alarms alarms={o.alarms} />, [o?.alarms]);
  const groups = useMemo(() => o && <Groups groups={o.groups} />, [o?.groups]);
  const stacks = useMemo(() => o && <Stacks stacks={o.stacks} />, [o?.stacks]);
  const loadBalancers = useMemo(() => o && <LoadBalancers loadBalancers={o.loadBalancers} />, [o?.loadBalancers]);
  const dbInstances = useMemo(() => o && <DbInstances dbInstances={o.dbInstances} />, [o?.dbInstances]);
  const drills = useMemo(() => <Drills />, []);
  const close = () => {
    const back = selected?.el;
    setSelected(undefined);
    // Back to what was selected, unless a refresh has taken it away.
    if (back?.isConnected) back.focus();
  };
  return (
    <>
      <header>
        <h1>faultline</h1>
        {live.clock && <ClockBar clock={live.clock} readAt={live.clockReadAt} onChanged={live.refresh} />}
        <nav aria-label="sections">
          <a href="#world">World</a> <a href="#alarms">Alarms</a> <a href="#groups">Groups</a> <a href="#stacks">Stacks</a> <a href="#load-balancers">Load balancers</a> <a href="#db-instances">DB instances</a> <a href="#drills">Drills</a>
        </nav>
      </header>
      {live.error && (
        <p role="alert" class="message banner">
          {live.error}
        </p>
      )}
      <div class="layout">
        <main>
          <section id="world" aria-labelledby="world-h" class="panel">
            <h2 id="world-h">World</h2>
            {selected && live.world && <Actions target={selected.target} faults={live.world.faults} onDone={live.refresh} onClose={close} />}
            {worldView}
          </section>
          {alarms}
          {groups}
          {stacks}
          {loadBalancers}
          {dbInstances}
          {drills}
        </main>
        <Timeline events={live.events} connected={live.connected} />
      </div>
    </>
  );
}

render(<App />, document.getElementById('app')!);
