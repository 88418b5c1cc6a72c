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
            {live.world ? <WorldView world={live.world} impaired={impaired} selected={selected?.target} onSelect={(target, el) => setSelected({ target, el })} /> : <p>loading…</p>}
          </section>
          {live.overview && (
            <>
              <Alarms overview={live.overview} />
              <Groups overview={live.overview} />
              <Stacks overview={live.overview} />
              <LoadBalancers overview={live.overview} />
              <DbInstances overview={live.overview} />
            </>
          )}
          <Drills />
        </main>
        <Timeline events={live.events} connected={live.connected} />
      </div>
    </>
  );
}

render(<App />, document.getElementById('app')!);
