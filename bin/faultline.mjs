#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, on the Node that the project brings (node@24).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = join(root, 'node_modules', 'node', 'bin', 'node');
const args = ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)];
const child = spawnSync(node, args, { stdio: 'inherit' });
process.exit(child.status ?? 1);
