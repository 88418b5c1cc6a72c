/**
 * The console's only ways out: the control API under /_faultline/ on the server that served the
 * page. When faultline listens beyond loopback, `faultline up` prints the console's URL with
 * `#token=...`; the token is read from there once, kept for this tab (sessionStorage, so a reload
 * keeps working) and taken out of the address bar, then sent on every request: as a header, and
 * as a query parameter on the event stream (EventSource cannot set headers).
 */
import type { LoggedEvent } from '../core/events.ts';

const TOKEN_KEY = 'faultline.token';

function readToken(): string | undefined {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

const token = readToken();
const headers = (): Record<string, string> => (token ? { 'x-faultline-token': token } : {});

/** A control API failure, with the message faultline gave. */
export class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const body = await res.text();
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : {};
  } catch {
    throw new ControlError(res.status, body || res.statusText);
  }
  if (!res.ok) throw new ControlError(res.status, (parsed as { error?: string }).error ?? res.statusText);
  return parsed as T;
}

export const getJson = async <T>(path: string): Promise<T> => answer<T>(await fetch(path, { headers: headers() }));

/** POSTs JSON: what the control API requires of any request that changes the world. */
export const postJson = async <T>(path: string, body: unknown = {}): Promise<T> =>
  answer<T>(await fetch(path, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) }));

/** A GET's body as a Blob, for a download. */
export async function getBlob(path: string): Promise<Blob> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw new ControlError(res.status, await res.text());
  return res.blob();
}

export type { LoggedEvent };

/** Follows the event log from after `after`; EventSource reconnects by itself, from the last id it saw. */
export function followEvents(after: number, onEvent: (e: LoggedEvent) => void, onState: (open: boolean) => void): () => void {
  const q = new URLSearchParams({ after: String(after) });
  if (token) q.set('token', token);
  const source = new EventSource(`/_faultline/events/stream?${q}`);
  source.onmessage = (m) => onEvent(JSON.parse(m.data) as LoggedEvent);
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return () => source.close();
}
