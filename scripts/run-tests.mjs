// Runs every test file under test/ with node:test through tsx. Files are listed explicitly so the
// runner does not depend on glob support in `node --test`.
//
// Two pools run side by side. The README's documents and the Terraform files spend most of
// their time waiting (the provider's fixed waits of a minute and more per resource, instances
// booting): four of them run at a time. The other files keep the CPU busy: three of them run at
// a time, as before (two took 8 min 38 s where three took 7 min 28 s). One pool of three for all
// files took 12 min 26 s, as the waiting files held the slots; four at a time, 11 min 18 s.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const only = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
walk('test');
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const waiting = selected.filter((f) => /readme|terraform/.test(f));
const busy = selected.filter((f) => !waiting.includes(f));

const pool = (list, concurrency) =>
  new Promise((resolve) => {
    if (!list.length) return resolve(0);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...list], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const codes = await Promise.all([pool(waiting, 4), pool(busy, 3)]);
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
