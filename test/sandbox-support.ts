/**
 * For tests of the sandbox driver: whether this host can run it (root, bubblewrap, netns), the
 * reason printed when it cannot, and polling a real endpoint until it answers.
 */
import { sandboxUnsupported } from '../src/runtime/driver.ts';
import { request } from 'node:http';

export const sandboxSkip: string | false = await (async () => {
  const why = await sandboxUnsupported();
  if (why) process.stdout.write(`# sandbox tests skipped: ${why}\n`);
  return why ?? false;
})();

/** One HTTP GET with a short timeout; undefined when nothing answers. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Polls `url` until `ok` holds for its answer, or fails after `timeoutMs` of real time. */
export async function waitFor(url: string, ok: (r: { status: number; body: string }) => boolean = (r) => r.status === 200, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: string } | undefined;
  while (Date.now() < deadline) {
    last = await httpGet(url, 1000);
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer as expected within ${timeoutMs} ms (last: ${last ? `${last.status} ${last.body.slice(0, 200)}` : 'no answer'})`);
}

/** Waits until `url` stops answering. */
export async function waitGone(url: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await httpGet(url, 500))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} still answers after ${timeoutMs} ms`);
}
