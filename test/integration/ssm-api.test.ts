/**
 * Parameter Store through boto3 on one server: versions, selectors, labels, history, tags,
 * SecureString, paths and DescribeParameters with their filters and paging, AWS's public
 * parameters (the Amazon Linux AMIs the CDK reads, resolving to the region's built-in images,
 * and the regions tree), and each bad input with AWS's code and message, leaving nothing written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { builtinImages } from '../../src/services/ec2/builtin-images.ts';

let fl: Faultline;
before(async () => {
  fl = await startFaultline();
});
after(() => fl.close());

const SSM = BOTO3_PRELUDE + `
ssm = boto3.client('ssm', config=no_retry)
`;

test('versions, selectors, labels, history, tags and SecureString', async () => {
  const r = await fl.python(SSM + `
r = {}
r['v1'] = ssm.put_parameter(Name='/app/db/host', Value='db-1', Type='String', Description='the host', Tags=[{'Key': 'team', 'Value': 'web'}])
advance(60)
r['v2'] = ssm.put_parameter(Name='/app/db/host', Value='db-2', Overwrite=True)
r['get'] = ssm.get_parameter(Name='/app/db/host')['Parameter']
r['get1'] = ssm.get_parameter(Name='/app/db/host:1')['Parameter']
r['label'] = ssm.label_parameter_version(Name='/app/db/host', ParameterVersion=1, Labels=['stable', '9bad', 'awsy'])
r['bylabel'] = ssm.get_parameter(Name='/app/db/host:stable')['Parameter']
r['move'] = ssm.label_parameter_version(Name='/app/db/host', Labels=['stable'])
r['history'] = ssm.get_parameter_history(Name='/app/db/host')['Parameters']
r['unlabel'] = ssm.unlabel_parameter_version(Name='/app/db/host', ParameterVersion=2, Labels=['stable', 'nope'])
r['many'] = ssm.get_parameters(Names=['/app/db/host', '/app/db/host:1', '/app/missing', '/app/db/host:7'])
ssm.add_tags_to_resource(ResourceType='Parameter', ResourceId='/app/db/host', Tags=[{'Key': 'env', 'Value': 'prod'}, {'Key': 'team', 'Value': 'ops'}])
ssm.remove_tags_from_resource(ResourceType='Parameter', ResourceId='/app/db/host', TagKeys=['env'])
r['tags'] = ssm.list_tags_for_resource(ResourceType='Parameter', ResourceId='/app/db/host')['TagList']
ssm.put_parameter(Name='/app/db/password', Value='s3cret', Type='SecureString')
r['secret'] = ssm.get_parameter(Name='/app/db/password', WithDecryption=True)['Parameter']
r['cipher'] = ssm.get_parameter(Name='/app/db/password')['Parameter']['Value']
r['list'] = ssm.put_parameter(Name='zones', Value='a,b,c', Type='StringList', Tier='Intelligent-Tiering')
r['big'] = ssm.put_parameter(Name='/app/big', Value='x' * 5000, Type='String', Tier='Intelligent-Tiering')
r['ami'] = ssm.put_parameter(Name='/app/ami', Value='ami-0123456789abcdef0', Type='String', DataType='aws:ec2:image')
r['deleted'] = ssm.delete_parameters(Names=['/app/big', '/app/nothing'])
ssm.delete_parameter(Name='zones')
r['after'] = outcome(lambda: ssm.get_parameter(Name='zones'))
out(r)
`);
  assert.deepEqual([r.v1.Version, r.v1.Tier, r.v2.Version], [1, 'Standard', 2]);
  assert.equal(r.get.Value, 'db-2');
  assert.equal(r.get.Version, 2);
  assert.equal(r.get.Type, 'String');
  assert.equal(r.get.ARN, 'arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host');
  assert.equal(r.get.DataType, 'text');
  assert.deepEqual([r.get1.Value, r.get1.Version, r.get1.Selector, r.get1.Name], ['db-1', 1, ':1', '/app/db/host']);
  assert.deepEqual(r.label.InvalidLabels, ['9bad', 'awsy']);
  assert.equal(r.label.ParameterVersion, 1);
  assert.deepEqual([r.bylabel.Value, r.bylabel.Selector], ['db-1', ':stable']);
  assert.equal(r.move.ParameterVersion, 2);
  assert.deepEqual(r.history.map((h: { Version: number; Value: string; Labels: string[]; Description: string }) => [h.Version, h.Value, h.Labels, h.Description]), [
    [1, 'db-1', [], 'the host'],
    [2, 'db-2', ['stable'], 'the host'],
  ]);
  assert.equal(new Date(r.history[1].LastModifiedDate).getTime() - new Date(r.history[0].LastModifiedDate).getTime(), 60_000);
  assert.match(r.history[0].LastModifiedUser, /^arn:aws:iam::000000000000:/);
  assert.deepEqual([r.unlabel.RemovedLabels, r.unlabel.InvalidLabels], [['stable'], ['nope']]);
  assert.deepEqual(r.many.Parameters.map((p: { Value: string }) => p.Value), ['db-2', 'db-1']);
  assert.deepEqual(r.many.InvalidParameters, ['/app/missing', '/app/db/host:7']);
  assert.deepEqual(r.tags, [{ Key: 'team', Value: 'ops' }]);
  assert.deepEqual([r.secret.Type, r.secret.Value], ['SecureString', 's3cret']);
  assert.equal(r.cipher, Buffer.from('s3cret').toString('base64'));
  assert.equal(r.list.Tier, 'Standard');
  assert.equal(r.big.Tier, 'Advanced');
  assert.equal(r.ami.Version, 1);
  assert.deepEqual([r.deleted.DeletedParameters, r.deleted.InvalidParameters], [['/app/big'], ['/app/nothing']]);
  assert.equal(r.after, 'ParameterNotFound 400 ');
});

test('paths, DescribeParameters filters and paging', async () => {
  const r = await fl.python(SSM + `
for i in range(12):
    ssm.put_parameter(Name='/svc/p%02d' % i, Value=str(i), Type='String' if i % 2 else 'SecureString')
ssm.put_parameter(Name='/svc/deep/er/x', Value='x', Type='String', Tags=[{'Key': 'owner', 'Value': 'alice'}])
r = {}
page = ssm.get_parameters_by_path(Path='/svc', MaxResults=5)
r['first'] = [p['Name'] for p in page['Parameters']]
names = []
token = None
while True:
    kw = {'NextToken': token} if token else {}
    page = ssm.get_parameters_by_path(Path='/svc/', Recursive=True, WithDecryption=True, **kw)
    names += [p['Name'] for p in page['Parameters']]
    token = page.get('NextToken')
    if not token: break
r['recursive'] = names
r['strings'] = [p['Name'] for p in ssm.get_parameters_by_path(Path='/svc', Recursive=True, ParameterFilters=[{'Key': 'Type', 'Values': ['String']}], MaxResults=10)['Parameters']]
r['bytag'] = [p['Name'] for p in ssm.describe_parameters(ParameterFilters=[{'Key': 'tag:owner'}])['Parameters']]
r['begins'] = [p['Name'] for p in ssm.describe_parameters(ParameterFilters=[{'Key': 'Name', 'Option': 'BeginsWith', 'Values': ['/svc/p1']}])['Parameters']]
r['onelevel'] = len(ssm.describe_parameters(ParameterFilters=[{'Key': 'Path', 'Values': ['/svc']}])['Parameters'])
r['secure'] = [(p['Name'], p['KeyId']) for p in ssm.describe_parameters(Filters=[{'Key': 'Type', 'Values': ['SecureString']}], MaxResults=2)['Parameters']]
d = ssm.describe_parameters(ParameterFilters=[{'Key': 'Path', 'Option': 'Recursive', 'Values': ['/svc']}], MaxResults=10)
r['paged'] = [len(d['Parameters']), len(ssm.describe_parameters(ParameterFilters=[{'Key': 'Path', 'Option': 'Recursive', 'Values': ['/svc']}], NextToken=d['NextToken'])['Parameters'])]
r['errors'] = [
  outcome(lambda: ssm.describe_parameters(Filters=[{'Key': 'Name', 'Values': ['a']}], ParameterFilters=[{'Key': 'Name', 'Values': ['a']}])),
  outcome(lambda: ssm.describe_parameters(ParameterFilters=[{'Key': 'Type', 'Option': 'Contains', 'Values': ['String']}])),
  outcome(lambda: ssm.get_parameters_by_path(Path='/svc', ParameterFilters=[{'Key': 'Name', 'Values': ['a']}])),
  outcome(lambda: ssm.get_parameters_by_path(Path='/svc', NextToken='bogus')),
  outcome(lambda: ssm.get_parameters_by_path(Path='/svc', MaxResults=11)),
]
out(r)
`);
  assert.deepEqual(r.first, ['/svc/p00', '/svc/p01', '/svc/p02', '/svc/p03', '/svc/p04']);
  assert.equal(r.recursive.length, 13);
  assert.ok(r.recursive.includes('/svc/deep/er/x'));
  assert.deepEqual(r.strings, ['/svc/deep/er/x', '/svc/p01', '/svc/p03', '/svc/p05', '/svc/p07', '/svc/p09', '/svc/p11']);
  assert.deepEqual(r.bytag, ['/svc/deep/er/x']);
  assert.deepEqual(r.begins, ['/svc/p10', '/svc/p11']);
  assert.equal(r.onelevel, 12);
  assert.deepEqual(r.secure, [
    ['/app/db/password', 'alias/aws/ssm'],
    ['/svc/p00', 'alias/aws/ssm'],
  ]);
  assert.deepEqual(r.paged, [10, 3]);
  assert.match(r.errors[0], /^ValidationException 400 You can use either Filters or ParameterFilters in a single request\.$/);
  assert.match(r.errors[1], /^InvalidFilterOption 400 The following filter option is not valid: Contains/);
  assert.match(r.errors[2], /^InvalidFilterKey 400 The following filter key is not valid: Name/);
  assert.match(r.errors[3], /^InvalidNextToken 400 /);
  assert.match(r.errors[4], /^ValidationException 400 .*MaxResults|^ValidationException 400 .*less than or equal to 10/);
});

test("AWS's public parameters: the Amazon Linux AMIs the CDK reads, and the regions", async () => {
  const r = await fl.python(SSM + `
r = {}
base = '/aws/service/ami-amazon-linux-latest/'
r['al2'] = ssm.get_parameter(Name=base + 'amzn2-ami-kernel-5.10-hvm-x86_64-gp2')['Parameter']
r['al2023'] = ssm.get_parameters(Names=[base + 'al2023-ami-kernel-6.1-x86_64', base + 'al2023-ami-kernel-default-x86_64', base + 'al2023-ami-kernel-6.1-arm64'])
r['west'] = boto3.client('ssm', region_name='us-west-2').get_parameter(Name=base + 'amzn2-ami-hvm-x86_64-gp2')['Parameter']['Value']
r['amis'] = [p['Name'] for p in ssm.get_parameters_by_path(Path='/aws/service/ami-amazon-linux-latest')['Parameters']]
r['regions'] = [p['Value'] for page in ssm.get_paginator('get_parameters_by_path').paginate(Path='/aws/service/global-infrastructure/regions') for p in page['Parameters']]
r['long'] = ssm.get_parameter(Name='/aws/service/global-infrastructure/regions/eu-west-1/longName')['Parameter']['Value']
r['ec2'] = ssm.get_parameter(Name='/aws/service/global-infrastructure/services/ec2/longName')['Parameter']['Value']
r['write'] = outcome(lambda: ssm.put_parameter(Name=base + 'amzn2-ami-hvm-x86_64-gp2', Value='ami-12345678', Type='String', Overwrite=True))
r['own'] = [p['Name'] for p in ssm.describe_parameters(ParameterFilters=[{'Key': 'Name', 'Option': 'BeginsWith', 'Values': ['/aws']}])['Parameters']]
out(r)
`);
  const image = (region: string, prefix: string) => builtinImages(region).find((i) => i.Name.startsWith(prefix))!.ImageId;
  assert.equal(r.al2.Value, image('us-east-1', 'amzn2-ami-hvm-'));
  assert.equal(r.al2.ARN, 'arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2');
  assert.deepEqual(r.al2023.Parameters.map((p: { Value: string }) => p.Value), [image('us-east-1', 'al2023-'), image('us-east-1', 'al2023-')]);
  assert.deepEqual(r.al2023.InvalidParameters, ['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64']);
  assert.equal(r.west, image('us-west-2', 'amzn2-ami-hvm-'));
  assert.ok(r.amis.includes('/aws/service/ami-amazon-linux-latest/amzn-ami-hvm-x86_64-gp2'));
  assert.equal(r.amis.length, 7);
  assert.deepEqual(r.regions, Object.keys(fl.app.env.config.regions).sort());
  assert.equal(r.long, 'Europe (Ireland)');
  assert.equal(r.ec2, 'Amazon Elastic Compute Cloud (EC2)');
  assert.equal(r.write, 'AccessDeniedException 400 No access to reserved parameter name: aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2.');
  assert.deepEqual(r.own, []);
});

test("bad input gets AWS's error and writes nothing", async () => {
  const r = await fl.python(SSM + `
ssm.put_parameter(Name='/bad/base', Value='v1', Type='String', AllowedPattern='^v[0-9]+$')
def put(**kw):
    args = dict(Name='/bad/new', Value='v', Type='String')
    args.update(kw)
    return outcome(lambda: ssm.put_parameter(**args))
r = {
  'exists': put(Name='/bad/base', Value='v2'),
  'tagsOverwrite': put(Name='/bad/base', Value='v2', Overwrite=True, Tags=[{'Key': 'a', 'Value': 'b'}]),
  'pattern': put(Name='/bad/base', Value='x2', Overwrite=True),
  'ssm': put(Name='/ssm/x'),
  'aws': put(Name='/aws/x'),
  'chars': put(Name='/bad/sp ace'),
  'deep': put(Name='/' + '/'.join('l%d' % i for i in range(16))),
  'long': put(Name='/' + 'n' * 1020),
  'standard': put(Value='x' * 4097),
  'advanced': put(Value='x' * 8193, Tier='Advanced'),
  'type': outcome(lambda: ssm.put_parameter(Name='/bad/new', Value='v')),
  'datatype': put(DataType='aws:ec2:image', Value='not-an-ami'),
  'badpattern': put(AllowedPattern='('),
  'missing': outcome(lambda: ssm.get_parameter(Name='/bad/none')),
  'version': outcome(lambda: ssm.get_parameter(Name='/bad/base:5')),
  'delete': outcome(lambda: ssm.delete_parameter(Name='/bad/none')),
  'history': outcome(lambda: ssm.get_parameter_history(Name='/bad/none')),
  'tagtype': outcome(lambda: ssm.list_tags_for_resource(ResourceType='Document', ResourceId='/bad/base')),
  'tagid': outcome(lambda: ssm.list_tags_for_resource(ResourceType='Parameter', ResourceId='/bad/none')),
}
for i in range(99):
    ssm.put_parameter(Name='/bad/base', Value='v%d' % (i + 2), Overwrite=True)
ssm.label_parameter_version(Name='/bad/base', ParameterVersion=1, Labels=['first'])
r['maxVersions'] = put(Name='/bad/base', Value='v101', Overwrite=True)
ssm.unlabel_parameter_version(Name='/bad/base', ParameterVersion=1, Labels=['first'])
r['v101'] = ssm.put_parameter(Name='/bad/base', Value='v101', Overwrite=True)['Version']
h = ssm.get_parameter_history(Name='/bad/base', MaxResults=50)
r['oldest'] = h['Parameters'][0]['Version']
ssm.label_parameter_version(Name='/bad/base', Labels=['l%d' % i for i in range(6)])
r['labels'] = outcome(lambda: ssm.label_parameter_version(Name='/bad/base', Labels=['m%d' % i for i in range(5)]))
r['kept'] = ssm.get_parameter_history(Name='/bad/base', NextToken=h['NextToken'])['Parameters'][-1]['Labels']
r['names'] = [p['Name'] for p in ssm.describe_parameters(ParameterFilters=[{'Key': 'Path', 'Option': 'Recursive', 'Values': ['/bad']}])['Parameters']]
out(r)
`);
  assert.equal(r.exists, 'ParameterAlreadyExists 400 The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
  assert.match(r.tagsOverwrite, /^ValidationException 400 Invalid request: tags and overwrite can't be used together/);
  assert.equal(r.pattern, 'ParameterPatternMismatchException 400 Parameter value, cannot be validated against allowedPattern: ^v[0-9]+$');
  const nameRules = `ValidationException 400 Parameter name: can't be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`;
  assert.equal(r.ssm, nameRules);
  assert.equal(r.chars, nameRules);
  assert.equal(r.aws, 'AccessDeniedException 400 No access to reserved parameter name: aws/x.');
  assert.match(r.deep, /^HierarchyLevelLimitExceededException 400 A hierarchy can have a maximum of 15 levels\./);
  assert.match(r.long, /^ValidationException 400 .*Member must have length less than or equal to 1011$/);
  assert.match(r.standard, /^ValidationException 400 Standard tier parameters support a maximum parameter value of 4096 characters\./);
  assert.match(r.advanced, /^ValidationException 400 .*less than or equal to 8192$/);
  assert.equal(r.type, 'ValidationException 400 A parameter type is required when you create a parameter.');
  assert.match(r.datatype, /^ValidationException 400 Invalid AMI ID format: not-an-ami/);
  assert.match(r.badpattern, /^InvalidAllowedPatternException 400 /);
  assert.equal(r.missing, 'ParameterNotFound 400 ');
  assert.equal(r.version, 'ParameterVersionNotFound 400 Systems Manager could not find version 5 of /bad/base. Verify the version and try again.');
  assert.equal(r.delete, 'ParameterNotFound 400 ');
  assert.equal(r.history, 'ParameterNotFound 400 ');
  assert.match(r.tagtype, /^InvalidResourceType 400 /);
  assert.match(r.tagid, /^InvalidResourceId 400 /);
  assert.match(r.maxVersions, /^ParameterMaxVersionLimitExceeded 400 .*Version 1, the oldest version, can't be deleted because it has a label/);
  assert.equal(r.v101, 101);
  assert.equal(r.oldest, 2);
  assert.match(r.labels, /^ParameterVersionLabelLimitExceeded 400 /);
  assert.deepEqual(r.kept, ['l0', 'l1', 'l2', 'l3', 'l4', 'l5']);
  assert.deepEqual(r.names, ['/bad/base']);
});
