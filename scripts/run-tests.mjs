// Runs every test file under test/ with node:test through tsx. Files are listed explicitly so the
// runner does not depend on glob support in `node --test`.
//
// Two pools run side by side. Terraform's files spend most of their time in the provider's fixed
// waits (10 s to a minute per resource, before it first looks) and little on the CPU (15 to 25 s
// each, since the provider block has no `endpoints` block): three of them run at a time, longest
// first, so that they do not hold the slots of the others. The others keep two cores busy, three
// at a time (two took 8 min 38 s where three took 7 min 28 s; four, 11 min 18 s where three took
// 8 min 35 s), the README's documents and the sandbox's files first, as the longest.
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

// Terraform's files by how long the provider waits in them: RDS (a minute before each look at an
// instance, three times), the sandboxed ALB, Route 53 and the ALB, then the rest.
const TERRAFORM_ORDER = ['rds', 'sandbox-elbv2', 'route53', 'elbv2', 'cloudformation', 'autoscaling'];
const rank = (f) => {
  const i = TERRAFORM_ORDER.findIndex((k) => f.includes(k));
  return i < 0 ? TERRAFORM_ORDER.length : i;
};
const terraform = selected.filter((f) => /terraform/.test(f)).sort((a, b) => rank(a) - rank(b));
const weight = (f) => (/readme/.test(f) ? 0 : /sandbox/.test(f) ? 1 : 2);
const others = selected.filter((f) => !terraform.includes(f)).sort((a, b) => weight(a) - weight(b));

const pool = (list) =>
  new Promise((resolve) => {
    if (!list.length) return resolve(0);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...list], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const codes = await Promise.all([pool(terraform), pool(others)]);
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
