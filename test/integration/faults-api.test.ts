/**
 * API error injection for chosen IAM roles, as FIS's aws:fis:inject-api-internal-error,
 * -throttle-error and -unavailable-error do: only calls made with the role's credentials (an
 * AssumeRole session or an instance profile's) fail, on the listed operations, at the given
 * percentage (counted, so the same calls fail every run), with EC2's codes and HTTP statuses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { startFaultline, type Faultline } from '../harness.ts';
import { issueRoleSession } from '../../src/services/sts/sessions.ts';

const run = promisify(execFile);
const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ops/chaos-target`;

describe('API faults for chosen roles', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it("fails only the role's calls, on the listed operations, at the percentage, with EC2's codes and statuses (boto3)", async () => {
    const out = await fl.python(`${BOTO3_PRELUDE}
iam = boto3.client('iam')
trust = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::${ACCOUNT}:root'}, 'Action': 'sts:AssumeRole'}]})
iam.create_role(RoleName='chaos-target', Path='/ops/', AssumeRolePolicyDocument=trust)
iam.create_role(RoleName='bystander', AssumeRolePolicyDocument=trust)
target, bystander, plain = session('ops/chaos-target'), session('bystander'), boto3.client('ec2', config=no_retry)
r = {}
fault = control('/_faultline/faults', {'kind': 'api', 'target': 'ec2', 'operation': 'DescribeAvailabilityZones,DescribeVpcs', 'errorCode': 'InternalError', 'rate': 0.5, 'roles': ['${ROLE_ARN}']})
r['target'] = [outcome(target.describe_availability_zones) for _ in range(4)]
r['targetOther'] = [outcome(target.describe_vpcs) for _ in range(2)]
r['targetUnlisted'] = outcome(target.describe_regions)
r['bystander'] = [outcome(bystander.describe_availability_zones) for _ in range(3)]
r['plain'] = [outcome(plain.describe_availability_zones) for _ in range(3)]
control('/_faultline/faults/%s/heal' % fault['faultId'], {})
r['healed'] = outcome(target.describe_availability_zones)
for code in ['RequestLimitExceeded', 'Unavailable']:
    f = control('/_faultline/faults', {'kind': 'api', 'target': 'ec2', 'operation': 'DescribeInstances', 'errorCode': code, 'roles': ['${ROLE_ARN}']})
    r[code] = [outcome(target.describe_instances), outcome(plain.describe_instances)]
    control('/_faultline/faults/%s/heal' % f['faultId'], {})
print(json.dumps(r))
`);
    const internal = 'InternalError 500 An internal error has occurred';
    // 50 %, counted: the 1st and 3rd calls of the role fail, the 2nd and 4th succeed.
    assert.deepEqual(out.target, [internal, 'ok', internal, 'ok']);
    // The count is per fault, across its operations: DescribeVpcs takes the 5th and 6th calls.
    assert.deepEqual(out.targetOther, [internal, 'ok']);
    assert.equal(out.targetUnlisted, 'ok');
    assert.deepEqual(out.bystander, ['ok', 'ok', 'ok']);
    assert.deepEqual(out.plain, ['ok', 'ok', 'ok']);
    assert.equal(out.healed, 'ok');
    assert.deepEqual(out.RequestLimitExceeded, ['RequestLimitExceeded 503 Request limit exceeded.', 'ok']);
    assert.deepEqual(out.Unavailable, ["Unavailable 503 The server is overloaded and can't handle the request.", 'ok']);
  });

  it("fails an instance profile's calls (its role's session) and shows the error through the AWS CLI", async () => {
    const trust = { Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    await new IAMClient(fl.sdk).send(new CreateRoleCommand({ RoleName: 'web', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    // What the instance metadata service hands an instance whose profile holds the role `web`.
    const creds = issueRoleSession(fl.app.env, ACCOUNT, 'web', 'i-0123456789abcdef0').Credentials;
    const asInstance = { AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey, AWS_SESSION_TOKEN: creds.SessionToken };
    const r = await fetch(`${fl.url}/_faultline/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'api', target: 'ec2', operation: 'DescribeInstances', errorCode: 'RequestLimitExceeded', roles: [`arn:aws:iam::${ACCOUNT}:role/web`] }),
    });
    assert.equal(r.status, 201);
    const failed = await run('aws', ['ec2', 'describe-instances'], { env: { ...fl.clientEnv, ...asInstance } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /An error occurred \(RequestLimitExceeded\) when calling the DescribeInstances operation.*: Request limit exceeded\./);
    // The same call with the account's own credentials is not the role's, and succeeds.
    assert.deepEqual((await new EC2Client({ ...fl.sdk, maxAttempts: 1 }).send(new DescribeInstancesCommand({}))).Reservations, []);
  });

  it('holds in the region it names, and in every region when it names none', async () => {
    const post = (body: unknown) => fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
    const heal = (id: string) => fetch(`${fl.url}/_faultline/faults/${id}/heal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const outcome = (region: string) =>
      new EC2Client({ ...fl.sdk, region, maxAttempts: 1 }).send(new DescribeInstancesCommand({})).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    const east = await post({ kind: 'api', target: 'ec2', operation: 'DescribeInstances', errorCode: 'Unavailable', region: 'us-east-1' });
    assert.deepEqual([await outcome('us-east-1'), await outcome('us-west-2')], ['Unavailable', 'ok']);
    await heal(east.faultId);
    const everywhere = await post({ kind: 'api', target: 'ec2', operation: 'DescribeInstances', errorCode: 'Unavailable' });
    assert.equal(everywhere.region, '*');
    assert.deepEqual([await outcome('us-east-1'), await outcome('us-west-2')], ['Unavailable', 'Unavailable']);
    await heal(everywhere.faultId);
    assert.equal((await post({ kind: 'api', target: 'ec2', region: 'mars-1' })).error, 'no region mars-1');
  });

  it('refuses a malformed role or operation list, and injects nothing', async () => {
    const post = (body: unknown) =>
      fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const before = (await (await fetch(`${fl.url}/_faultline/faults`)).json()).faults.length;
    const bad = await post({ kind: 'api', target: 'ec2', roles: ['chaos-target'] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /roles: "chaos-target" is not an IAM role ARN/);
    assert.equal((await post({ kind: 'api', target: 'ec2', roles: 'arn:aws:iam::000000000000:role/x' })).status, 400);
    assert.equal((await post({ kind: 'api', target: 'ec2', operation: ' , ' })).status, 400);
    assert.equal((await post({ kind: 'api', target: 'ec2', errorCode: 'Teapot' })).status, 400);
    assert.equal((await (await fetch(`${fl.url}/_faultline/faults`)).json()).faults.length, before);
  });
});
