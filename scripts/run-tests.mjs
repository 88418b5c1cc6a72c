// Runs every test file under test/ with node:test through tsx. Files are listed explicitly so the
// runner does not depend on glob support in `node --test`.
//
// Three files run at a time: most of every file's time is spent waiting on other processes (the
// AWS CLI, Terraform's provider and its fixed waits, real instances), and three keep two cores
// busy: two at a time took 8 min 38 s where three took 7 min 28 s; four took 11 min 18 s where
// three took 8 min 35 s (Terraform's provider and the clock pumps of its tests slow each other).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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
// The longest files start first, so that the last minutes do not wait on one of them alone: the
// README's documents and Terraform's (the provider's own fixed waits), then the sandbox's.
const weight = (f) => (/readme|terraform/.test(f) ? 0 : /sandbox/.test(f) ? 1 : 2);
files.sort((a, b) => weight(a) - weight(b));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
