#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, on the Node that the project brings (node@24), and passes
// SIGINT and SIGTERM on so that stopping this wrapper stops faultline cleanly.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = join(root, 'node_modules', 'node', 'bin', 'node');
// tsx is resolved from here, not from the working directory, so `faultline` runs from anywhere.
const args = ['--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)];
const child = spawn(node, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
