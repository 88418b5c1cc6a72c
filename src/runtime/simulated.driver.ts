/** The simulated driver: instances are records only; nothing runs. What faultline did before the sandbox. */
import type { ComputeDriver } from './driver.ts';

export class SimulatedDriver implements ComputeDriver {
  readonly name = 'simulated' as const;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  consoleOutput(): string | undefined {
    return undefined;
  }
  async settle(): Promise<void> {}
  capacity(): undefined {
    return undefined;
  }
}
