/**
 * The console's live state: the world, the overview views and the timeline, kept current by the
 * event stream. Events are appended to the timeline once a frame; the views they may have
 * changed are marked and read again together, at most once every REFRESH_MS, so a burst of
 * events (a zone failing under a thousand instances) costs one read of each view, not one per event.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { followEvents, getJson, type LoggedEvent } from './api.ts';
import { affected } from './events.ts';
import type { Clock, Overview, View, World } from './model.ts';

const REFRESH_MS = 250;
/** Events kept for the timeline; older ones scroll out. */
const KEPT = 500;
/** How far back the timeline starts when the page opens. */
const HISTORY = 200;

export interface Live {
  world?: World;
  overview?: Overview;
  clock?: Clock;
  /** performance.now() when `clock` was read, to run a scaled clock forward between reads. */
  clockReadAt: number;
  events: LoggedEvent[];
  connected: boolean;
  error?: string;
  /** Reads everything again now (after the console itself changed the world or the clock). */
  refresh(): void;
}

export function useLive(): Live {
  const [world, setWorld] = useState<World>();
  const [overview, setOverview] = useState<Overview>();
  const [clock, setClock] = useState<{ clock: Clock; at: number }>();
  const [events, setEvents] = useState<LoggedEvent[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string>();
  const pending = useRef({ world: false, clock: false, views: new Set<View>(), timer: 0, running: false, lastRead: 0 });

  const flush = async () => {
    const p = pending.current;
    p.timer = 0;
    if (p.running) return schedule();
    p.running = true;
    p.lastRead = performance.now();
    const views = [...p.views];
    const readWorld = p.world;
    const readClock = p.clock;
    p.views.clear();
    p.world = p.clock = false;
    try {
      const [w, o, c] = await Promise.all([
        readWorld ? getJson<World>('/_faultline/world') : undefined,
        views.length ? getJson<Partial<Overview>>(`/_faultline/overview?views=${views.join(',')}`) : undefined,
        readClock ? getJson<Clock>('/_faultline/clock') : undefined,
      ]);
      if (w) setWorld(w);
      if (o) setOverview((prev) => ({ ...(prev as Overview), ...o }));
      if (c) setClock({ clock: c, at: performance.now() });
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      p.running = false;
    }
  };
  // At once when the views were last read long enough ago, else when REFRESH_MS has passed since.
  const schedule = () => {
    const p = pending.current;
    if (!p.timer) p.timer = window.setTimeout(() => void flush(), Math.max(0, p.lastRead + REFRESH_MS - performance.now()));
  };
  const mark = (what: { world?: boolean; clock?: boolean; views?: View[] }) => {
    const p = pending.current;
    if (what.world) p.world = true;
    if (what.clock) p.clock = true;
    for (const v of what.views ?? []) p.views.add(v);
    schedule();
  };

  useEffect(() => {
    let stop: (() => void) | undefined;
    let lastSeq = 0;
    void (async () => {
      try {
        // Each view is shown as soon as it arrives; the world first, since it is what the page is for.
        const [, o] = await Promise.all([
          getJson<World>('/_faultline/world').then(setWorld),
          getJson<Overview>('/_faultline/overview').then((o) => (setOverview(o), o)),
          getJson<Clock>('/_faultline/clock').then((c) => setClock({ clock: c, at: performance.now() })),
        ]);
        lastSeq = Math.max(0, o.lastSeq - HISTORY);
      } catch (e) {
        setError(`faultline did not answer: ${(e as Error).message}`);
        return;
      }
      // Events are taken into the page once a frame: a burst of thousands is one render, not one each.
      let arrived: LoggedEvent[] = [];
      let reset = false;
      let frame = 0;
      const take = () => {
        frame = 0;
        const batch = arrived;
        const fresh = reset;
        arrived = [];
        reset = false;
        setEvents((prev) => (fresh ? batch : [...prev, ...batch]).slice(-KEPT));
      };
      stop = followEvents(
        lastSeq,
        (e) => {
          // A reconnection replays from where the stream began; a reset starts the log again at 1.
          if (e.seq <= lastSeq && e.seq !== 1) return;
          if (e.seq === 1 && lastSeq > 0) {
            reset = true;
            arrived = [];
          }
          lastSeq = e.seq;
          arrived.push(e);
          if (!frame) frame = requestAnimationFrame(take);
          const a = affected(e.type);
          mark({ world: a.world, views: a.views, clock: true });
        },
        setConnected,
      );
    })();
    return () => stop?.();
  }, []);

  return {
    world,
    overview,
    clock: clock?.clock,
    clockReadAt: clock?.at ?? 0,
    events,
    connected,
    error,
    refresh: () => mark({ world: true, clock: true, views: ['alarms', 'groups', 'stacks', 'loadBalancers', 'dbInstances', 'impaired'] }),
  };
}
