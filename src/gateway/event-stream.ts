/**
 * GET /_faultline/events/stream: the event log as Server-Sent Events, from `after` (a sequence
 * number; default: only what is logged from now on) and through the filters of event-filter.ts.
 * Each event is one `id:`/`data:` message, its JSON as the control API gives it, sent once it has
 * been committed. A comment line every 15 s keeps proxies and idle timers from closing the stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Env } from '../services/service.ts';
import { eventFilter, matches } from '../core/event-filter.ts';

export const EVENT_STREAM_PATH = '/_faultline/events/stream';

const KEEPALIVE_MS = 15_000;

export function streamEvents(env: Env, url: URL, req: IncomingMessage, res: ServerResponse): void {
  let filter;
  try {
    filter = eventFilter(url.searchParams);
  } catch (e) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (e as Error).message }));
    return;
  }
  const from = url.searchParams.get('after') ?? req.headers['last-event-id'];
  let after = from === undefined || from === null ? env.events.lastSeq() : Number(from);
  if (!Number.isInteger(after) || after < 0) after = env.events.lastSeq();
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': faultline event stream\n\n');
  const pump = () => {
    // A reset empties the log: follow the new one from its start.
    if (env.events.lastSeq() < after) after = 0;
    for (;;) {
      const page = env.events.list(after, 500);
      for (const e of page) if (matches(e, filter)) res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
      if (page.length) after = page[page.length - 1].seq;
      if (page.length < 500) break;
    }
  };
  pump();
  const unfollow = env.events.follow(pump);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  res.on('close', () => {
    unfollow();
    clearInterval(keepalive);
  });
}
