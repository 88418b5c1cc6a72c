/**
 * The clock: cloud time, and what its mode allows. A manual clock is stepped by N seconds
 * (POST /_faultline/clock/advance); a scaled one can be paused, resumed and given another speed
 * (POST /_faultline/clock); a real one runs at wall speed and offers nothing. Between reads a
 * running clock is carried forward here, so the time shown moves without asking the server.
 */
import { useEffect, useState } from 'preact/hooks';
import { postJson } from './api.ts';
import type { Clock } from './model.ts';

export function ClockBar({ clock, readAt, onChanged }: { clock: Clock; readAt: number; onChanged(): void }) {
  const [, tick] = useState(0);
  const [seconds, setSeconds] = useState('60');
  const [scale, setScale] = useState(String(clock.scale));
  const [message, setMessage] = useState<string>();
  const running = clock.mode !== 'manual' && !clock.paused;
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(t);
  }, [running]);
  const now = running ? new Date(Date.parse(clock.now) + (performance.now() - readAt) * clock.scale) : new Date(clock.now);

  const call = async (path: string, body: unknown) => {
    try {
      await postJson(path, body);
      setMessage(undefined);
      onChanged();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  return (
    <section class="clock" aria-label="clock">
      <p class="now">
        <span class="label">cloud time</span>{' '}
        <time dateTime={now.toISOString()} data-clock>
          {now.toISOString().replace('T', ' ').slice(0, 19)}
        </time>{' '}
        <span class="mode">
          {clock.mode}
          {clock.mode === 'scaled' ? ` ×${clock.scale}${clock.paused ? ', paused' : ''}` : ''}
        </span>
      </p>
      {clock.mode === 'manual' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void call('/_faultline/clock/advance', { seconds: Number(seconds) });
          }}
        >
          <label>
            seconds <input type="number" min="1" max="86400" value={seconds} onInput={(e) => setSeconds(e.currentTarget.value)} />
          </label>
          <button type="submit">Step</button>
        </form>
      )}
      {clock.mode === 'scaled' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void call('/_faultline/clock', { scale: Number(scale) });
          }}
        >
          <button type="button" onClick={() => void call('/_faultline/clock', { paused: !clock.paused })}>
            {clock.paused ? 'Resume' : 'Pause'}
          </button>
          <label>
            speed <input type="number" min="0.1" step="any" value={scale} onInput={(e) => setScale(e.currentTarget.value)} />
          </label>
          <button type="submit">Set speed</button>
        </form>
      )}
      {message && (
        <p role="alert" class="message">
          {message}
        </p>
      )}
    </section>
  );
}
