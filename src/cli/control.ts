/**
 * The one way the CLI talks to a running faultline's control API (/_faultline/...): JSON in,
 * JSON out, at $FAULTLINE_URL (else $AWS_ENDPOINT_URL, else the default port).
 */

export const controlEndpoint = () => process.env.FAULTLINE_URL ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';

/** Calls the control API at `base`; the JSON answer, or an Error with the error the answer gave. */
export async function controlCall<T = any>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  // A POST is JSON: faultline refuses others, as a web page would send them.
  const res = await fetch(base + path, method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
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
