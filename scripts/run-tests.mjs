// Runs every test file under test/ with node:test through tsx. Files are listed explicitly so the
// runner does not depend on glob support in `node --test`.
//
// Files run in parallel, the slowest first: those that drive Terraform, boot sandboxes or run the
// README's commands take tens of seconds each, and started last they would run on alone at the
// end. Most of every file's time is spent waiting on other processes (the AWS CLI, Terraform,
// real instances), so three files at a time keep two cores busy.
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
const SLOW = [/terraform/, /readme-commands/, /sandbox-workloads/, /cloudformation-api/, /sandbox-/, /cloudformation-/];
const rank = (f) => {
  const i = SLOW.findIndex((re) => re.test(f));
  return i < 0 ? SLOW.length : i;
};
const selected = (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files).sort((a, b) => rank(a) - rank(b));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
