/**
 * Where the file of a helper process that faultline forks lies (netns-agent, spawn-agent): the
 * TypeScript source beside this module when faultline runs from src/ (Node strips the types), or
 * the built `.cjs` beside the bundle when it runs from dist/ (scripts/build.mjs), where
 * `import.meta.url` is the bundle's own.
 */
import { fileURLToPath } from 'node:url';

export const agentPath = (name: 'netns-agent' | 'spawn-agent') =>
  fileURLToPath(new URL(import.meta.url.endsWith('.cjs') ? `./${name}.cjs` : `./${name}.ts`, import.meta.url));
