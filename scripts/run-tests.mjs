// Runs every test file under test/ with node:test through tsx. Files are listed explicitly so the
// runner does not depend on glob support in `node --test`.
//
// Two pools of three files run side by side: one for files that spend their time waiting on other
// processes, one for the rest, which keep two cores busy (see the lists below).
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

// The first pool holds the files that mostly wait, longest first: the README's documents (each
// a real faultline run through its commands, up to six minutes), Terraform's (the provider's fixed
// waits: a minute before each look at an RDS instance, 30 s at a load balancer), the CDK CLI's and
// the clean-up of killed faultlines. The rest share the other pool. Measured on this machine
// (2 cores, otherwise idle): the README's documents in the second pool made it the long pole, 11
// min 2 s against 5 min 40 s for a pool of Terraform's files alone.
const WAITING_ORDER = ['readme', 'rds-terraform', 'sandbox-elbv2-terraform', 'route53-terraform', 'elbv2-terraform', 'terraform-cloudformation', 'terraform-ec2', 'cdk.test', 'sandbox-cleanup', 'terraform'];
const rank = (f) => WAITING_ORDER.findIndex((k) => f.includes(k));
const waiting = selected.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b));
const weight = (f) => (/sandbox/.test(f) ? 0 : 1);
const others = selected.filter((f) => !waiting.includes(f)).sort((a, b) => weight(a) - weight(b));

const pool = (list) =>
  new Promise((resolve) => {
    if (!list.length) return resolve(0);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...list], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const codes = await Promise.all([pool(waiting), pool(others)]);
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
