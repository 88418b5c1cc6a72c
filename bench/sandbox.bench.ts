/**
 * The sandbox driver on this machine:
 *  1. time from RunInstances to the user data's HTTP server answering on the public IP
 *     (manual clock stepped past the boot at once, so this is real work only);
 *  2. how many sandboxed instances this machine sustains, each running a Python HTTP server,
 *     all answering at once (target: at least 50);
 *  3. snapshot and image creation time for a volume holding 1 GB, and the bytes stored by a
 *     second snapshot after a 1 MB change.
 * No moto comparison: moto runs no workloads.
 *
 *   npx tsx bench/sandbox.bench.ts [instances=50]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultline } from '../test/harness.ts';
import { sandboxSkip, waitFor } from '../test/sandbox-support.ts';

if (sandboxSkip) {
  console.log(`sandbox bench skipped: ${sandboxSkip}`);
  process.exit(0);
}
const N = Number(process.argv[2] ?? 50);
const fl = await startFaultline({ driver: 'sandbox', config: { hostCapacity: 256 } });
const ms = (t0: number) => Math.round(performance.now() - t0);
try {
  const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
  const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.0.0/20', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
  const sg = (await fl.aws('ec2', 'create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpc)).GroupId;
  await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', sg, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
  const userData = '#!/bin/sh\nmkdir -p /var/lib/app && hostname > /var/lib/app/index.html\ncd /var/lib/app && nohup python3 -m http.server 8080 >/dev/null 2>&1 &\n';
  const runArgs = (count: number) => ['ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', sg, '--associate-public-ip-address', '--count', String(count), '--user-data', userData];

  // 1. RunInstances → answering.
  let t0 = performance.now();
  const one = (await fl.aws(...runArgs(1))).Instances[0].InstanceId;
  fl.advance(60);
  const ip1 = (await fl.aws('ec2', 'describe-instances', '--instance-ids', one)).Reservations[0].Instances[0].PublicIpAddress;
  await waitFor(`http://${ip1}:8080/`);
  const firstAnswerMs = ms(t0);

  // 2. N instances at once.
  t0 = performance.now();
  const ids: string[] = (await fl.aws(...runArgs(N - 1))).Instances.map((i: { InstanceId: string }) => i.InstanceId);
  fl.advance(60);
  const all = (await fl.aws('ec2', 'describe-instances', '--instance-ids', one, ...ids)).Reservations.flatMap((r: { Instances: { PublicIpAddress: string }[] }) => r.Instances);
  await Promise.all(all.map((i: { PublicIpAddress: string }) => waitFor(`http://${i.PublicIpAddress}:8080/`, undefined, 300_000)));
  const allAnswerMs = ms(t0);
  const again = await Promise.all(all.map((i: { PublicIpAddress: string }) => waitFor(`http://${i.PublicIpAddress}:8080/`, undefined, 10_000).then(() => 1, () => 0)));
  const sustained = again.reduce((a: number, b: number) => a + b, 0);
  await fl.aws('ec2', 'terminate-instances', '--instance-ids', ...ids);
  fl.advance(60);
  await fl.app.driver.settle();

  // 3. Snapshots and images of a volume with 1 GB of data.
  const big = (await fl.aws(...runArgs(1).map((a) => (a === userData ? '#!/bin/sh\nhead -c 1073741824 /dev/urandom > /var/lib/big.bin\necho written\n' : a)))).Instances[0].InstanceId;
  fl.advance(60);
  const rootVol = (await fl.aws('ec2', 'describe-instances', '--instance-ids', big)).Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId;
  for (let i = 0; i < 600; i++) {
    if (/written/.test((await fl.aws('ec2', 'get-console-output', '--instance-id', big)).Output ?? '')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const driver = fl.app.driver as unknown as { snapshotBytes(): Promise<number> };
  const bytes0 = await driver.snapshotBytes();
  t0 = performance.now();
  await fl.aws('ec2', 'create-snapshot', '--volume-id', rootVol);
  await fl.app.driver.settle();
  const snapshot1GbMs = ms(t0);
  const bytes1 = await driver.snapshotBytes();
  // A 1 MB change on the volume (written into its upper layer, as the instance would), then a second snapshot.
  writeFileSync(join(fl.dataDir, 'runtime', 'volumes', rootVol, 'upper', 'var', 'change-1mb.bin'), Buffer.alloc(1 << 20, 7));
  t0 = performance.now();
  await fl.aws('ec2', 'create-snapshot', '--volume-id', rootVol);
  await fl.app.driver.settle();
  const snapshot2Ms = ms(t0);
  const bytes2 = await driver.snapshotBytes();
  t0 = performance.now();
  const image = await fl.aws('ec2', 'create-image', '--instance-id', big, '--name', 'big', '--no-reboot');
  await fl.app.driver.settle();
  const imageMs = ms(t0);
  fl.advance(120);
  t0 = performance.now();
  const fromImage = (await fl.aws(...runArgs(1).map((a) => (a === 'ami-1ecae776' ? image.ImageId : a)))).Instances[0].InstanceId;
  fl.advance(60);
  await fl.app.driver.settle();
  const launchFromImageMs = ms(t0);
  void fromImage;

  const result = {
    runInstancesToAnswerMs: firstAnswerMs,
    instances: { launched: N, answering: sustained, allAnsweringAfterMs: allAnswerMs },
    snapshot: {
      firstOf1GbMs: snapshot1GbMs,
      firstStoredBytes: bytes1 - bytes0,
      secondAfter1MbChangeMs: snapshot2Ms,
      secondStoredBytes: bytes2 - bytes1,
      createImageMs: imageMs,
      launchFromImageUntilRunningMs: launchFromImageMs,
    },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await fl.close();
}
