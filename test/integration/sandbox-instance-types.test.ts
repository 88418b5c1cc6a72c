/**
 * Under the sandbox driver, an instance's CPU and memory limits are its type's published figures
 * (the generated catalogue), and the default VPCs cost no network namespace until an instance
 * runs in one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { listNamespaces } from '../../src/runtime/netns.ts';
import type { SandboxDriver } from '../../src/runtime/sandbox.driver.ts';

const M3_MEDIUM = { vcpus: 1, memoryMiB: 3840 };

/** The instance's CPU quota (µs per 100 ms period) and memory limit (bytes), from cgroup v2 or v1; undefined until its group exists. */
function limitsOf(tag: string, instanceId: string): { quota: number; memory: number } | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read(join('/sys/fs/cgroup', `faultline-${tag}`, instanceId, 'cpu.max'));
  if (v2) return { quota: Number(v2.split(' ')[0]), memory: Number(read(join('/sys/fs/cgroup', `faultline-${tag}`, instanceId, 'memory.max'))) };
  const quota = read(join('/sys/fs/cgroup/cpu', `faultline-${tag}`, instanceId, 'cpu.cfs_quota_us'));
  const memory = read(join('/sys/fs/cgroup/memory', `faultline-${tag}`, instanceId, 'memory.limit_in_bytes'));
  return quota && memory ? { quota: Number(quota), memory: Number(memory) } : undefined;
}

describe('sandbox: instance types', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline({ driver: 'sandbox' })));
  after(() => fl?.close());

  it("runs the book's m3.medium in the default VPC within its type's vCPU and memory", async () => {
    const prefix = (fl.app.driver as SandboxDriver).namespacePrefix();
    const tag = prefix.slice(3, -1);
    assert.equal((await fl.aws('ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true')).Vpcs.length, 1);
    assert.deepEqual(await listNamespaces(prefix), [], 'a default VPC with no instance has no namespace');

    const id = (await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 'm3.medium')).Instances[0].InstanceId as string;
    fl.advance(60);
    let limits = limitsOf(tag, id);
    for (const deadline = Date.now() + 60_000; !limits && Date.now() < deadline; limits = limitsOf(tag, id)) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(limits, { quota: M3_MEDIUM.vcpus * 100_000, memory: M3_MEDIUM.memoryMiB * 1024 * 1024 });
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
  });
});
