// Builds dist/ from src/: the CLI as one CommonJS bundle (dist/faultline.cjs), the agents that it
// forks (dist/netns-agent.cjs, dist/spawn-agent.cjs), the data files that the code reads beside
// itself, and the web console (dist/console/: its page, style and one browser bundle with Preact).
// Run at `npm ci` (the `prepare` script) and by bin/faultline.mjs when src/ has changed since.
//
// Why a CommonJS bundle: loading one file instead of ~200 TypeScript modules compiled at run time
// is most of the start-up saving, and `require` of node:* builtins skips the ESM facades (that of
// node:http alone loads the whole fetch implementation). The code's `import.meta.url` becomes the
// bundle's own URL, so files it finds relative to itself are looked for in dist/.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(root, 'dist');
export const bundle = join(distDir, 'faultline.cjs');
export const compileCache = join(distDir, '.compile-cache');

/** Files read through `new URL(..., import.meta.url)`: from src/ to where the bundle looks for them. */
function dataFiles() {
  const models = join(root, 'src', 'models');
  const guestFiles = join(root, 'src', 'runtime', 'guest-files');
  return [
    ...readdirSync(models).filter((f) => f.endsWith('.json')).map((f) => [join(models, f), f]),
    [join(root, 'src', 'cloudformation', 'spec', 'resource-spec.json'), join('spec', 'resource-spec.json')],
    // What runtime/guest.ts installs in every sandbox: the CloudFormation helper scripts and stand-ins.
    ...readdirSync(guestFiles, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => {
      const rel = join(e.parentPath.slice(guestFiles.length), e.name);
      return [join(guestFiles, rel), join('guest-files', rel)];
    }),
  ];
}

/** The newest modification time of the files a build reads. */
export function sourcesMtime() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      // Not Math.max(newest, walk...): that reads newest before the walk raises it, and drops it.
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  return newest;
}

// Each file is written aside and renamed into place, so a faultline starting while another builds
// never loads half a file.
function writeAtomically(path, write) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  write(tmp);
  renameSync(tmp, path);
}

export const consoleDir = join(distDir, 'console');

/**
 * The web console that gateway/console.ts serves: src/console/ bundled for the browser, with its
 * page and style beside it. Tests that run the TypeScript call this to serve the current sources.
 */
export async function buildConsole() {
  const { build: esbuild } = await import('esbuild');
  const src = join(root, 'src', 'console');
  const result = await esbuild({
    entryPoints: { console: join(src, 'main.tsx') },
    outdir: consoleDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const f of result.outputFiles) writeAtomically(f.path, (tmp) => writeFileSync(tmp, f.contents));
  for (const name of ['index.html', 'console.css']) writeAtomically(join(consoleDir, name), (tmp) => copyFileSync(join(src, name), tmp));
}

export async function build() {
  // esbuild is loaded only to build, so that bin/faultline.mjs can check sourcesMtime() cheaply.
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: {
      faultline: join(root, 'src', 'cli', 'main.ts'),
      'netns-agent': join(root, 'src', 'runtime', 'netns-agent.ts'),
      'spawn-agent': join(root, 'src', 'runtime', 'spawn-agent.ts'),
    },
    outdir: distDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    define: { 'import.meta.url': '__bundle_url' },
    banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
    write: false,
    minifyWhitespace: true,
    minifySyntax: true,
    // Stack traces name functions as in src/; NODE_OPTIONS=--enable-source-maps maps lines too.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const [from, to] of dataFiles()) writeAtomically(join(distDir, to), (tmp) => copyFileSync(from, tmp));
  await buildConsole();
  // The bundle last: bin/faultline.mjs takes its time as the time of the whole build.
  const outputs = [...result.outputFiles.filter((f) => f.path !== bundle), ...result.outputFiles.filter((f) => f.path === bundle)];
  for (const f of outputs) writeAtomically(f.path, (tmp) => writeFileSync(tmp, f.contents));
  // V8's code cache of the previous bundle (bin/faultline.mjs) would only pile up.
  rmSync(compileCache, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build();
}
