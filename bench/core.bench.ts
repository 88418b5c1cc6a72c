/**
 * faultline against moto_server, in the same run, on the core EC2 paths:
 * cold start, RunInstances of 500 instances in batches, DescribeInstances over 1,000 instances
 * with a tag filter, and the throughput of a mixed describe load from 8 concurrent clients.
 *
 *   npx tsx bench/core.bench.ts
 */
import { type Subnet, EC2Client, CreateVpcCommand, CreateSubnetCommand, RunInstancesCommand, DescribeInstancesCommand, DescribeVpcsCommand, DescribeSubnetsCommand, DescribeSecurityGroupsCommand, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { startFaultline, startMoto, type Running } from './servers.ts';

const client = (url: string) =>
  new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 16 }) }),
  });

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

interface Result {
  coldStartMs: number;
  run500Ms: number;
  describe1000Ms: number;
  describeRps: number;
}

async function measure(server: Running): Promise<Result> {
  const ec2 = client(server.url);
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!;
  const subnets: Subnet[] = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: `10.0.${i * 16}.0/20`, AvailabilityZone: az }))).Subnet!);
  }
  const launch = (n: number, i: number, tag: string) =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-1ecae776',
        InstanceType: 't2.micro',
        MinCount: n,
        MaxCount: n,
        SubnetId: subnets[i % 2].SubnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: tag }] }],
      }),
    );
  // 500 instances in 10 batches of 50.
  const [run500Ms] = await timed(async () => {
    for (let i = 0; i < 10; i++) await launch(50, i, 'batch');
  });
  // 500 more, half of them tagged for the filtered describe.
  for (let i = 0; i < 10; i++) await launch(50, i, i % 2 ? 'web' : 'batch');
  const [describe1000Ms, found] = await timed(() => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web'] }] })));
  const count = found.Reservations!.reduce((n, r) => n + r.Instances!.length, 0);
  if (count !== 250) throw new Error(`${server.name}: expected 250 tagged instances, found ${count}`);

  const mixed = [
    () => new DescribeVpcsCommand({}),
    () => new DescribeSubnetsCommand({}),
    () => new DescribeSecurityGroupsCommand({}),
    () => new DescribeAvailabilityZonesCommand({}),
    () => new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web'] }], MaxResults: 5 }),
  ];
  const seconds = 5;
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async (_, c) => {
      const own = client(server.url);
      for (let i = c; performance.now() < end; i++) {
        await own.send(mixed[i % mixed.length]() as never);
        done++;
      }
    }),
  );
  return { coldStartMs: server.coldStartMs, run500Ms, describe1000Ms, describeRps: done / seconds };
}

async function main() {
  const results: Record<string, Result> = {};
  for (const start of [startFaultline, startMoto]) {
    const server = await start();
    try {
      results[server.name] = await measure(server);
    } finally {
      await server.stop();
    }
  }
  const f = results.faultline;
  const m = results.moto;
  const rows = [
    ['cold start to first answer (ms)', f.coldStartMs, m.coldStartMs, m.coldStartMs / f.coldStartMs],
    ['RunInstances, 500 in batches of 50 (ms)', f.run500Ms, m.run500Ms, m.run500Ms / f.run500Ms],
    ['DescribeInstances, 1,000 with tag filter (ms)', f.describe1000Ms, m.describe1000Ms, m.describe1000Ms / f.describe1000Ms],
    ['mixed describes, 8 clients (requests/s)', f.describeRps, m.describeRps, f.describeRps / m.describeRps],
  ];
  console.log('| measure | faultline | moto | faultline is faster by |');
  console.log('|---|---|---|---|');
  for (const [name, a, b, ratio] of rows) console.log(`| ${name} | ${(a as number).toFixed(0)} | ${(b as number).toFixed(0)} | ${(ratio as number).toFixed(1)}x |`);
}

await main();
