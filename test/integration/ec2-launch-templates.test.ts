/**
 * Launch templates through the SDK v3: versions, $Latest and $Default, ModifyLaunchTemplate,
 * SourceVersion, filters and the errors EC2 gives; RunInstances from a template.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EC2Client,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

describe('launch templates through the SDK v3', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let subnet: string;
  let ltId: string;

  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.3.0.0/16' }))).Vpc!.VpcId!;
    subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.3.0.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
  });
  after(() => fl.close());

  it('creates a template with version 1 as default and latest, and refuses the same name', async () => {
    const r = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        VersionDescription: 'first',
        LaunchTemplateData: {
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          UserData: Buffer.from('#!/bin/bash\necho v1\n').toString('base64'),
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'from-template' }] }],
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: 'team', Value: 'ops' }] }],
      }),
    );
    ltId = r.LaunchTemplate!.LaunchTemplateId!;
    assert.match(ltId, /^lt-[0-9a-f]{17}$/);
    assert.equal(r.LaunchTemplate!.DefaultVersionNumber, 1);
    assert.equal(r.LaunchTemplate!.LatestVersionNumber, 1);
    assert.deepEqual(r.LaunchTemplate!.Tags, [{ Key: 'team', Value: 'ops' }]);
    assert.match(
      await failure(ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: 'ami-1ecae776' } }))),
      /InvalidLaunchTemplateName\.AlreadyExistsException/,
    );
  });

  it('adds versions; $Latest moves, $Default stays until ModifyLaunchTemplate', async () => {
    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: ltId, SourceVersion: '1', VersionDescription: 'bigger', LaunchTemplateData: { InstanceType: 't3.small' } }),
    );
    assert.equal(v2.LaunchTemplateVersion!.VersionNumber, 2);
    assert.equal(v2.LaunchTemplateVersion!.DefaultVersion, false);
    // SourceVersion keeps what the new data does not replace.
    assert.equal(v2.LaunchTemplateVersion!.LaunchTemplateData!.ImageId, 'ami-1ecae776');
    assert.equal(v2.LaunchTemplateVersion!.LaunchTemplateData!.InstanceType, 't3.small');

    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web', Versions: ['$Latest'] }));
    assert.equal(latest.LaunchTemplateVersions![0].VersionNumber, 2);
    const def = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId, Versions: ['$Default'] }));
    assert.equal(def.LaunchTemplateVersions![0].VersionNumber, 1);
    const all = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId }));
    assert.deepEqual(all.LaunchTemplateVersions!.map((v) => v.VersionNumber), [2, 1], 'newest first');
    const small = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId, Filters: [{ Name: 'instance-type', Values: ['t3.small'] }] }));
    assert.deepEqual(small.LaunchTemplateVersions!.map((v) => v.VersionNumber), [2]);

    const m = await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: ltId, DefaultVersion: '2' }));
    assert.equal(m.LaunchTemplate!.DefaultVersionNumber, 2);
    const t = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['web'] }));
    assert.equal(t.LaunchTemplates![0].DefaultVersionNumber, 2);
    assert.equal(t.LaunchTemplates![0].LatestVersionNumber, 2);
    const byTag = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag:team', Values: ['ops'] }] }));
    assert.equal(byTag.LaunchTemplates!.length, 1);
    assert.match(await failure(ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: ltId, DefaultVersion: '9' }))), /InvalidLaunchTemplateId\.VersionNotFound/);
  });

  it('fails for unknown templates as EC2 does', async () => {
    assert.match(await failure(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ['lt-0123456789abcdef0'] }))), /InvalidLaunchTemplateId\.NotFound/);
    assert.match(await failure(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['nope'] }))), /InvalidLaunchTemplateName\.NotFoundException/);
    assert.match(
      await failure(ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'nope', LaunchTemplateData: { InstanceType: 't2.micro' } }))),
      /InvalidLaunchTemplateName\.NotFoundException/,
    );
  });

  it('launches from a template: the default version, overrides, and the template tags', async () => {
    const r = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, SubnetId: subnet, LaunchTemplate: { LaunchTemplateName: 'web' } }));
    const inst = r.Instances![0];
    assert.equal(inst.InstanceType, 't3.small', '$Default is version 2 now');
    assert.equal(inst.ImageId, 'ami-1ecae776');
    const tags = Object.fromEntries(inst.Tags!.map((t) => [t.Key, t.Value]));
    assert.equal(tags.Name, 'from-template');
    assert.equal(tags['aws:ec2launchtemplate:id'], ltId);
    assert.equal(tags['aws:ec2launchtemplate:version'], '2');
    const v1 = await ec2.send(
      new RunInstancesCommand({ MinCount: 1, MaxCount: 1, SubnetId: subnet, InstanceType: 't2.nano', LaunchTemplate: { LaunchTemplateId: ltId, Version: '1' } }),
    );
    assert.equal(v1.Instances![0].InstanceType, 't2.nano', 'the request overrides the template');
  });

  it('deletes the template and all its versions', async () => {
    const d = await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: 'web' }));
    assert.equal(d.LaunchTemplate!.LaunchTemplateId, ltId);
    assert.match(await failure(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId }))), /InvalidLaunchTemplateId\.NotFound/);
  });
});
