/**
 * The web console's files under /_faultline/console/: the page, its script and its style, built
 * by scripts/build.mjs into dist/console/ (no CDN: every asset comes from here). The bundle finds
 * them beside itself (dist/faultline.cjs); a run of the TypeScript (tsx) finds them in dist/ at
 * the project's root. Only the files the build wrote are served, by name: nothing a request
 * says can reach another file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireResponse } from '../protocols/protocol.ts';

export const CONSOLE_PATH = '/_faultline/console';

const DIR = fileURLToPath(new URL(import.meta.url.endsWith('.cjs') ? './console/' : '../../dist/console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

const text = (status: number, body: string, headers: Record<string, string> = {}): WireResponse => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body });

/** The answer to a GET under CONSOLE_PATH, or undefined when `pathname` is not the console's. */
export function consoleAsset(pathname: string): WireResponse | undefined {
  // The page's relative asset URLs resolve against the slash.
  if (pathname === CONSOLE_PATH) return text(308, 'the console is at /_faultline/console/\n', { location: `${CONSOLE_PATH}/` });
  if (!pathname.startsWith(`${CONSOLE_PATH}/`)) return undefined;
  const name = pathname.slice(CONSOLE_PATH.length + 1) || 'index.html';
  let built: string[];
  try {
    built = readdirSync(DIR);
  } catch {
    return text(503, `the console is not built: run \`node scripts/build.mjs\` (npm ci runs it), which writes ${DIR}\n`);
  }
  if (!built.includes(name) || !TYPES[extname(name)]) return text(404, `the console has no file ${name}\n`);
  return {
    status: 200,
    // A rebuilt console is picked up at the next load; the page's content security policy lets
    // it load only from faultline itself.
    headers: {
      'content-type': TYPES[extname(name)],
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(name.endsWith('.html') ? { 'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'", 'referrer-policy': 'no-referrer' } : {}),
    },
    body: readFileSync(`${DIR}${name}`),
  };
}
