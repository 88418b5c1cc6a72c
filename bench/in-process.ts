/** A faultline in this process on a manual clock, with SDK v3 settings for it, for the loop benchmarks. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createApp, type App } from '../src/app.ts';
import type { Config } from '../src/config.ts';

export async function inProcess(config: Partial<Config> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  const app: App = createApp({ dataDir, clock: 'manual', config, log: () => {} });
  const { port } = await app.listen(0, '127.0.0.1');
  return {
    app,
    sdk: {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 8 }) }),
    },
    /** Steps the manual clock. */
    step: (seconds: number) => app.env.scheduler.advanceTo(app.env.clock.now() + seconds * 1000),
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
