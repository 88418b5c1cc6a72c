/**
 * The one way the CLI talks to a running faultline's control API (/_faultline/...): JSON in,
 * JSON out, at $FAULTLINE_URL (else $AWS_ENDPOINT_URL, else the default port).
 */

export const controlEndpoint = () => process.env.FAULTLINE_URL ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';

/** fetch with the control token (FAULTLINE_TOKEN), and an error that names the address when nothing answers there. */
async function reach(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  const token = process.env.FAULTLINE_TOKEN;
  const headers = { ...(init.headers as Record<string, string> | undefined), ...(token ? { 'x-faultline-token': token } : {}) };
  try {
    return await fetch(base + path, { ...init, headers });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new Error(`no faultline answers at ${base} (${why}). Start one with \`faultline up\`, or set FAULTLINE_URL to where one runs.`);
  }
}

/** Calls the control API at `base`; the JSON answer, or an Error with the error the answer gave. */
export async function controlCall<T = any>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  // A POST is JSON: faultline refuses others, as a web page would send them.
  const res = await reach(base, path, method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) throw new Error(typeof parsed?.error === 'string' ? parsed.error : `${method} ${path}: ${res.status} ${text}`);
  return parsed as T;
}

/** Reads a Server-Sent Events stream of the control API, calling `onData` with each message's data, until it ends. */
export async function controlStream(base: string, path: string, onData: (data: string) => void): Promise<void> {
  const res = await reach(base, path, { headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const message = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = message.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onData(data);
    }
  }
}
