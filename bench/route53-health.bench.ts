/**
 * Route 53 health checks at 1,000 (run by hand: npx tsx bench/route53-health.bench.ts [count=1000]).
 *
 * 1. CreateHealthCheck 1,000 times through boto3, against faultline and against moto_server in the
 *    same run (moto stores the checks and never probes them: its cost stops there).
 * 2. faultline's cost of probing them: 5 cloud minutes of 10-second checks from 16 checkers each
 *    (the simulated driver: each checker reads the world), stepped on the manual clock, measured
 *    as faultline's own CPU time (its process's utime + stime), per check per interval.
 * The checks watch an instance's public IP, so that they pass and every checker reads the world.
 */
import { execFileSync } from 'node:child_process';
import { startFaultline, startMoto, type Running } from './servers.ts';
import { procStat } from '../test/user-shell.ts';

const COUNT = Number(process.argv[2] ?? 1000);
const MINUTES = 5;

const env = (url: string) => ({ ...process.env, AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' });

/** Creates COUNT checks on `ip` through boto3; returns the real milliseconds it took. */
function createChecks(url: string, ip: string): number {
  const script = `
import boto3, time, sys
r = boto3.client('route53')
t = time.perf_counter()
for n in range(${COUNT}):
    r.create_health_check(CallerReference='bench-%d' % n, HealthCheckConfig={'Type': 'HTTP', 'IPAddress': '${ip}', 'Port': 80, 'RequestInterval': 10, 'FailureThreshold': 3})
print((time.perf_counter() - t) * 1000)
`;
  return Number(execFileSync('python3', ['-c', script], { env: env(url), encoding: 'utf8' }).trim());
}

/** An instance with a public IP (its address is what the checks watch). */
function publicIp(url: string): string {
  const script = `
import boto3
ec2 = boto3.client('ec2')
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
s = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
i = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': s, 'Groups': [sg], 'AssociatePublicIpAddress': True}])['Instances'][0]['InstanceId']
print(ec2.describe_instances(InstanceIds=[i])['Reservations'][0]['Instances'][0]['PublicIpAddress'])
`;
  return execFileSync('python3', ['-c', script], { env: env(url), encoding: 'utf8' }).trim();
}

/** A process's CPU time so far, in milliseconds. */
function cpuMs(pid: number): number {
  const fields = procStat(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

const advance = (url: string, seconds: number) =>
  fetch(`${url}/_faultline/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) }).then((r) => r.json());

const servers: Running[] = [];
try {
  const faultline = await startFaultline(['--driver', 'simulated', '--dns-port', '0']);
  servers.push(faultline);
  const moto = await startMoto();
  servers.push(moto);

  const ip = publicIp(faultline.url);
  await advance(faultline.url, 60); // the instance is running
  const fMs = createChecks(faultline.url, ip);
  const mMs = createChecks(moto.url, '192.0.2.10');
  console.log(`CreateHealthCheck x${COUNT}: faultline ${fMs.toFixed(0)} ms, moto ${mMs.toFixed(0)} ms (faultline is ${(mMs / fMs).toFixed(1)}x as fast)`);

  const pid = faultline.proc.pid!;
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  for (let s = 0; s < MINUTES * 60; s += 10) await advance(faultline.url, 10);
  const cpu = cpuMs(pid) - cpu0;
  const real = performance.now() - t0;
  const intervals = (MINUTES * 60) / 10;
  console.log(
    `${COUNT} checks x 16 checkers, ${MINUTES} cloud minutes of 10 s intervals: ${(real / 1000).toFixed(1)} s real, faultline CPU ${cpu.toFixed(0)} ms` +
      ` = ${((cpu * 1000) / (COUNT * intervals)).toFixed(0)} µs per check per interval (moto probes nothing)`,
  );
} finally {
  for (const s of servers) await s.stop();
}
