/**
 * The timeline: each event as it happens, at cloud time, oldest first. It follows the newest event
 * while the reader is at the bottom, and stays put while they scroll back.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { LoggedEvent } from './api.ts';
import { eventMessage } from './events.ts';

const TONE: Record<string, string> = { fault: 'bad', cloudwatch: 'warn', autoscaling: 'busy', ec2: 'idle' };

export function Timeline({ events, connected }: { events: LoggedEvent[]; connected: boolean }) {
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [events]);
  return (
    <aside class="timeline" aria-labelledby="timeline-h">
      <h2 id="timeline-h">
        Timeline <span class={`badge tone-${connected ? 'ok' : 'warn'}`}>{connected ? 'live' : 'reconnecting'}</span>
      </h2>
      <div
        ref={list}
        class="log"
        role="log"
        aria-label="events at cloud time"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        <ol>
        {events.map((e) => {
          const family = e.type.split('.')[0];
          return (
            <li key={e.seq} data-type={e.type} data-seq={e.seq} class={`event tone-edge-${TONE[family] ?? 'idle'}`}>
              <time dateTime={e.time}>{e.time.slice(11, 19)}</time> <span class="type">{e.type}</span> <span class="msg">{eventMessage(e)}</span>
            </li>
          );
        })}
        </ol>
      </div>
    </aside>
  );
}
