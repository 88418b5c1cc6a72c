/**
 * The console's live state: the world, the overview views and the timeline, kept current by the
 * event stream. Each event is appended to the timeline at once; the views it may have changed
 * are marked and read again together, at most every REFRESH_MS, so a burst of events (a zone
 * failing under a thousand instances) costs one read of each view, not one per event.
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
  const pending = useRef({ world: false, clock: false, views: new Set<View>(), timer: 0, running: false });

  const flush = async () => {
    const p = pending.current;
    p.timer = 0;
    if (p.running) return schedule();
    p.running = true;
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
  const schedule = () => {
    const p = pending.current;
    if (!p.timer) p.timer = window.setTimeout(() => void flush(), REFRESH_MS);
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
        const [w, o, c] = await Promise.all([getJson<World>('/_faultline/world'), getJson<Overview>('/_faultline/overview'), getJson<Clock>('/_faultline/clock')]);
        setWorld(w);
        setOverview(o);
        setClock({ clock: c, at: performance.now() });
        lastSeq = Math.max(0, o.lastSeq - HISTORY);
      } catch (e) {
        setError(`faultline did not answer: ${(e as Error).message}`);
        return;
      }
      stop = followEvents(
        lastSeq,
        (e) => {
          // A reconnection replays from where the stream began; a reset starts the log again at 1.
          if (e.seq <= lastSeq && e.seq !== 1) return;
          const fresh = e.seq === 1 && lastSeq > 0;
          lastSeq = e.seq;
          setEvents((prev) => (fresh ? [e] : prev.length >= KEPT ? [...prev.slice(prev.length - KEPT + 1), e] : [...prev, e]));
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
