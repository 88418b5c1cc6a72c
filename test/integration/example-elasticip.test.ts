/**
 * The chapter's last exercise from examples/aws-in-action-ch11, unmodified but for the offline
 * Jenkins stand-in, under the sandbox driver: CloudFormation builds the VPC, the Elastic IP and
 * an Auto Scaling group whose instance reads its own id from the metadata service and runs
 * `aws ec2 associate-address` with its instance profile. The JenkinsURL output answers; after the
 * instance is terminated, the replacement takes the Elastic IP again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip, waitFor } from '../sandbox-support.ts';

const TEMPLATE = new URL('../../examples/aws-in-action-ch11/multiaz-elasticip.json', import.meta.url).pathname;

describe('the chapter example multiaz-elasticip.json, as real processes', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline({ driver: 'sandbox' })));
  after(() => fl.close());

  const instanceOf = async () =>
    (await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=jenkins-elasticip', 'Name=instance-state-code,Values=16')).Reservations[0]?.Instances[0];

  /** Steps the clock a minute at a time until `check` holds, giving the sandbox real time to act. */
  async function until<T>(what: string, check: () => Promise<T | undefined>, minutes = 20): Promise<T> {
    for (let i = 0; i < minutes; i++) {
      const v = await check();
      if (v) return v;
      fl.advance(60);
      await new Promise((r) => setTimeout(r, 300)); // real time for processes, not cloud time
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('serves Jenkins on the Elastic IP, and again from the replacement', async () => {
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
    const refused = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'jenkins', '--template-body', `file://${TEMPLATE}`, '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret123');
    assert.match(refused.stderr, /InsufficientCapabilitiesException/);
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'jenkins', '--template-body', `file://${TEMPLATE}`, '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret123', '--capabilities', 'CAPABILITY_IAM');
    const stack = await until('CREATE_COMPLETE', async () => {
      const s = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'jenkins')).Stacks[0];
      assert.ok(!/FAILED|ROLLBACK/.test(s.StackStatus), `${s.StackStatus}: ${s.StackStatusReason}`);
      return s.StackStatus === 'CREATE_COMPLETE' ? s : undefined;
    });
    const url = stack.Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'JenkinsURL').OutputValue as string;
    const eip = /http:\/\/([\d.]+):8080/.exec(url)![1];

    const first = await until('the instance to associate the Elastic IP', async () => {
      const i = await instanceOf();
      return i?.PublicIpAddress === eip ? i : undefined;
    }).catch(async (e) => {
      // The instance's own account of its boot is what tells why.
      const id = (await instanceOf())?.InstanceId;
      const out = id ? (await fl.aws('ec2', 'get-console-output', '--instance-id', id)).Output : 'no running instance';
      throw new Error(`${(e as Error).message}\n${out}`);
    });
    assert.match((await waitFor(`${url}/`)).body, /Jenkins/);

    await fl.aws('ec2', 'terminate-instances', '--instance-ids', first.InstanceId);
    const second = await until('a replacement holding the Elastic IP', async () => {
      const i = await instanceOf();
      return i && i.InstanceId !== first.InstanceId && i.PublicIpAddress === eip ? i : undefined;
    });
    assert.notEqual(second.InstanceId, first.InstanceId);
    assert.match((await waitFor(`${url}/`)).body, /Jenkins/);

    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins');
    await until('the stack to be deleted', async () => {
      const r = await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'jenkins');
      return r.code !== 0 ? true : undefined;
    });
    assert.deepEqual((await fl.aws('ec2', 'describe-addresses')).Addresses, []);
  });
});
