/**
 * The Route 53 API through boto3 and the AWS CLI, on the manual clock: hosted zones public and
 * private, change batches validated as one (every message of spec route53.md §2), PENDING → INSYNC
 * after route53PropagationSeconds with DNS served the new version only then, paging, tags, delete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { accountScope, COLL, recordKey, type RecordSetRecord } from '../../src/services/route53/state.ts';

let fl: Faultline;
before(async () => (fl = await startFaultline()));
after(() => fl.close());

const R53 = BOTO3_PRELUDE + `
r53 = boto3.client('route53', config=no_retry)
ec2 = boto3.client('ec2', config=no_retry)
def rrset(name, type, *values, ttl=300, **extra):
    return dict(Name=name, Type=type, TTL=ttl, ResourceRecords=[{'Value': v} for v in values], **extra)
def change(action, rr): return {'Action': action, 'ResourceRecordSet': rr}
def batch(zid, *changes): return r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={'Changes': list(changes)})
def sets(zid): return [(s['Name'], s['Type'], s.get('SetIdentifier')) for s in r53.list_resource_record_sets(HostedZoneId=zid)['ResourceRecordSets']]
`;

test('public and private zones: the delegation set, the apex SOA and NS, VPC associations and their errors', async () => {
  const r = await fl.python(R53 + `
res = {}
z = r53.create_hosted_zone(Name='Example.COM', CallerReference='pub-1', HostedZoneConfig={'Comment': 'site'})
zid = z['HostedZone']['Id']
res['status'] = z['ResponseMetadata']['HTTPStatusCode']
res['location'] = z['Location']
res['zone'] = z['HostedZone']
res['change'] = z['ChangeInfo']['Status']
res['ns'] = z['DelegationSet']['NameServers']
res['apex'] = r53.list_resource_record_sets(HostedZoneId=zid)['ResourceRecordSets']
res['again'] = outcome(lambda: r53.create_hosted_zone(Name='example.net', CallerReference='pub-1'))
res['tld'] = outcome(lambda: r53.create_hosted_zone(Name='com', CallerReference='tld'))
res['unknown'] = outcome(lambda: r53.get_hosted_zone(Id='Z0000000000000000000'))
res['get_public'] = sorted(k for k in r53.get_hosted_zone(Id=zid) if k != 'ResponseMetadata')
vpc1 = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
vpc2 = ec2.create_vpc(CidrBlock='10.2.0.0/16')['Vpc']['VpcId']
p = r53.create_hosted_zone(Name='corp.internal', CallerReference='priv-1', VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc1})
pid = p['HostedZone']['Id']
res['private'] = {'config': p['HostedZone']['Config'], 'vpc': p['VPC'] == {'VPCRegion': 'us-east-1', 'VPCId': vpc1}}
res['private_apex'] = [(s['Type'], [v['Value'] for v in s['ResourceRecords']]) for s in r53.list_resource_record_sets(HostedZoneId=pid)['ResourceRecordSets']]
res['no_vpc'] = outcome(lambda: r53.create_hosted_zone(Name='x.internal', CallerReference='priv-2', VPC={'VPCRegion': 'us-east-1', 'VPCId': 'vpc-0000000000000000a'}))
res['clash'] = outcome(lambda: r53.create_hosted_zone(Name='corp.internal', CallerReference='priv-3', VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc1}))
res['public_vpc'] = outcome(lambda: r53.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc2}))
res['last'] = outcome(lambda: r53.disassociate_vpc_from_hosted_zone(HostedZoneId=pid, VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc1}))
res['assoc'] = r53.associate_vpc_with_hosted_zone(HostedZoneId=pid, VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc2})['ChangeInfo']['Status']
res['vpcs'] = sorted(v['VPCId'] == vpc2 for v in r53.get_hosted_zone(Id=pid)['VPCs'])
res['by_vpc'] = [s['Name'] for s in r53.list_hosted_zones_by_vpc(VPCId=vpc2, VPCRegion='us-east-1')['HostedZoneSummaries']]
r53.disassociate_vpc_from_hosted_zone(HostedZoneId=pid, VPC={'VPCRegion': 'us-east-1', 'VPCId': vpc1})
res['vpcs_after'] = [v['VPCId'] == vpc2 for v in r53.get_hosted_zone(Id=pid)['VPCs']]
res['count'] = r53.get_hosted_zone_count()['HostedZoneCount']
res['limit'] = r53.get_hosted_zone_limit(HostedZoneId=pid, Type='MAX_VPCS_ASSOCIATED_BY_ZONE')['Count']
res['dnssec'] = r53.get_dnssec(HostedZoneId=zid)['Status']['ServeSignature']
out(res)
`);
  assert.equal(r.status, 201);
  assert.match(r.zone.Id, /^\/hostedzone\/Z[A-Z0-9]{20}$/);
  assert.equal(r.location, `https://route53.amazonaws.com/2013-04-01${r.zone.Id}`);
  assert.deepEqual({ ...r.zone, Id: undefined }, { Id: undefined, Name: 'example.com.', CallerReference: 'pub-1', Config: { Comment: 'site', PrivateZone: false }, ResourceRecordSetCount: 2 });
  assert.equal(r.change, 'PENDING');
  assert.deepEqual(r.ns, ['ns-2048.awsdns-64.com', 'ns-2049.awsdns-65.net', 'ns-2050.awsdns-66.org', 'ns-2051.awsdns-67.co.uk']);
  assert.deepEqual(r.apex, [
    { Name: 'example.com.', Type: 'NS', TTL: 172800, ResourceRecords: r.ns.map((n: string) => ({ Value: n + '.' })) },
    { Name: 'example.com.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] },
  ]);
  assert.equal(r.again, 'HostedZoneAlreadyExists 409 A hosted zone has already been created with the specified caller reference.');
  assert.equal(r.tld, 'InvalidDomainName 400 com. is reserved by AWS!');
  assert.equal(r.unknown, 'NoSuchHostedZone 404 No hosted zone found with ID: Z0000000000000000000');
  assert.deepEqual(r.get_public, ['DelegationSet', 'HostedZone']);
  assert.deepEqual(r.private, { config: { PrivateZone: true }, vpc: true });
  assert.deepEqual(r.private_apex, [
    ['NS', ['ns-0.awsdns-00.com.', 'ns-512.awsdns-00.net.', 'ns-1024.awsdns-00.org.', 'ns-1536.awsdns-00.co.uk.']],
    ['SOA', ['ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400']],
  ]);
  assert.match(r.no_vpc, /^InvalidVPCId 400 /);
  assert.match(r.clash, /^ConflictingDomainExists 400 /);
  assert.match(r.public_vpc, /^PublicZoneVPCAssociation 400 /);
  assert.match(r.last, /^LastVPCAssociation 400 /);
  assert.equal(r.assoc, 'PENDING');
  assert.deepEqual(r.vpcs, [false, true]);
  assert.deepEqual(r.by_vpc, ['corp.internal.']);
  assert.deepEqual(r.vpcs_after, [true]);
  assert.equal(r.count, 2);
  assert.equal(r.limit, 1);
  assert.equal(r.dnssec, 'NOT_SIGNING');
});

test('a batch of A, CNAME, TXT, MX, SRV and alias sets is PENDING for 30 s, and DNS is served each version only when its change is INSYNC', async () => {
  const first = await fl.python(R53 + `
zid = r53.create_hosted_zone(Name='served.example', CallerReference='served')['HostedZone']['Id']
vpc = ec2.create_vpc(CidrBlock='10.9.0.0/16')['Vpc']['VpcId']
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock='10.9.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
elb = boto3.client('elb', config=no_retry)
lb = elb.create_load_balancer(LoadBalancerName='web', Scheme='internal', Subnets=[subnet], Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}])
lbzone = elb.describe_load_balancers(LoadBalancerNames=['web'])['LoadBalancerDescriptions'][0]['CanonicalHostedZoneNameID']
c = batch(zid,
  change('CREATE', rrset('www.served.example', 'A', '192.0.2.1', '192.0.2.2', ttl=60)),
  change('CREATE', {'Name': 'apex-alias.served.example', 'Type': 'A', 'AliasTarget': {'HostedZoneId': zid.split('/')[-1], 'DNSName': 'www.served.example', 'EvaluateTargetHealth': False}}),
  change('CREATE', {'Name': 'lb.served.example', 'Type': 'A', 'AliasTarget': {'HostedZoneId': lbzone, 'DNSName': 'dualstack.' + lb['DNSName'], 'EvaluateTargetHealth': True}}),
  change('CREATE', rrset('blog.served.example', 'CNAME', 'www.served.example')),
  change('CREATE', rrset('served.example', 'TXT', '"v=spf1 -all"', '"hello" "world"')),
  change('CREATE', rrset('served.example', 'MX', '10 mail.served.example.', '20 mail2.served.example.')),
  change('CREATE', rrset('_sip._tcp.served.example', 'SRV', '1 10 5060 sip.served.example.')),
  change('CREATE', rrset('*.served.example', 'A', '192.0.2.9')))
cid = c['ChangeInfo']['Id']
out({'zid': zid, 'cid': cid, 'status': c['ChangeInfo']['Status'], 'lbzone': lbzone, 'lbname': lb['DNSName'], 'sets': sets(zid), 'listed': r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName='lb.served.example', StartRecordType='A', MaxItems='1')['ResourceRecordSets'][0]})
`);
  const zoneId = first.zid.replace('/hostedzone/', '');
  assert.equal(first.status, 'PENDING');
  assert.deepEqual(first.listed.AliasTarget, { HostedZoneId: first.lbzone, DNSName: `dualstack.${first.lbname.toLowerCase()}.`, EvaluateTargetHealth: true });
  // Listed at once, in AWS's order: labels reversed, then type; a leading * written \052.
  assert.deepEqual(first.sets, [
    ['served.example.', 'MX', null],
    ['served.example.', 'NS', null],
    ['served.example.', 'SOA', null],
    ['served.example.', 'TXT', null],
    ['\\052.served.example.', 'A', null],
    ['_sip._tcp.served.example.', 'SRV', null],
    ['apex-alias.served.example.', 'A', null],
    ['blog.served.example.', 'CNAME', null],
    ['lb.served.example.', 'A', null],
    ['www.served.example.', 'A', null],
  ]);
  const store = fl.app.env.store;
  const www = () => store.get<RecordSetRecord>(COLL.records, accountScope('000000000000'), recordKey(zoneId, 'www.served.example', 'A'));
  assert.equal(www()?.served, undefined, 'not served while PENDING');
  assert.deepEqual(www()?.rrset?.ResourceRecords, [{ Value: '192.0.2.1' }, { Value: '192.0.2.2' }]);

  const status = (cid: string) => fl.python(R53 + `out(r53.get_change(Id='${cid}')['ChangeInfo']['Status'])`);
  fl.advance(29.999);
  assert.equal(await status(first.cid), 'PENDING');
  assert.equal(www()?.served, undefined);
  fl.advance(0.001);
  assert.equal(await status(first.cid), 'INSYNC');
  assert.deepEqual(www()?.served, www()?.rrset);

  // An UPSERT and a DELETE: the API shows them at once, DNS keeps the old versions until INSYNC.
  const second = await fl.python(R53 + `
c = batch('${first.zid}', change('UPSERT', rrset('www.served.example', 'A', '192.0.2.3', ttl=60)), change('DELETE', rrset('*.served.example', 'A', '192.0.2.9')))
out({'cid': c['ChangeInfo']['Id'], 'www': r53.list_resource_record_sets(HostedZoneId='${first.zid}', StartRecordName='www.served.example', MaxItems='1')['ResourceRecordSets'][0]['ResourceRecords'], 'wild': ('\\\\052.served.example.', 'A', None) in [tuple(s) for s in sets('${first.zid}')]})
`);
  assert.deepEqual(second.www, [{ Value: '192.0.2.3' }]);
  assert.equal(second.wild, false);
  const wild = () => store.get<RecordSetRecord>(COLL.records, accountScope('000000000000'), recordKey(zoneId, '*.served.example', 'A'));
  assert.deepEqual(www()?.served?.ResourceRecords, [{ Value: '192.0.2.1' }, { Value: '192.0.2.2' }]);
  assert.equal(wild()?.rrset, undefined, 'a tombstone until INSYNC');
  assert.deepEqual(wild()?.served?.ResourceRecords, [{ Value: '192.0.2.9' }]);
  fl.advance(30);
  assert.equal(await status(second.cid), 'INSYNC');
  assert.deepEqual(www()?.served?.ResourceRecords, [{ Value: '192.0.2.3' }]);
  assert.equal(wild(), undefined, 'the tombstone is dropped');
  assert.match(await fl.python(R53 + `out(outcome(lambda: r53.get_change(Id='C0000000000000000000')))`), /^NoSuchChange 404 /);
});

test('a batch with one bad change changes nothing, and says each problem in AWS words', async () => {
  const r = await fl.python(R53 + `
zid = r53.create_hosted_zone(Name='example.com', CallerReference='rules')['HostedZone']['Id']
batch(zid, change('CREATE', rrset('www.example.com', 'A', '192.0.2.1')), change('CREATE', rrset('cn.example.com', 'CNAME', 'www.example.com')))
before = r53.list_resource_record_sets(HostedZoneId=zid)['ResourceRecordSets']
good = change('CREATE', rrset('new.example.com', 'A', '192.0.2.7'))
ns = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName='example.com', StartRecordType='NS', MaxItems='1')['ResourceRecordSets'][0]
soa = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName='example.com', StartRecordType='SOA', MaxItems='1')['ResourceRecordSets'][0]
bad = {
  'exists': change('CREATE', rrset('www.example.com', 'A', '192.0.2.1')),
  'missing': change('DELETE', rrset('gone.example.com', 'A', '192.0.2.1')),
  'mismatch': change('DELETE', rrset('www.example.com', 'A', '192.0.2.99')),
  'apex_cname': change('CREATE', rrset('example.com', 'CNAME', 'www.example.com')),
  'cname_beside': change('CREATE', rrset('www.example.com', 'CNAME', 'other.example.com')),
  'beside_cname': change('CREATE', rrset('cn.example.com', 'TXT', '"x"')),
  'outside': change('CREATE', rrset('www.other.com', 'A', '192.0.2.1')),
  'delete_soa': change('DELETE', soa),
  'delete_ns': change('DELETE', ns),
  'bad_ipv4': change('CREATE', rrset('ip.example.com', 'A', '192.0.2')),
  'alias_missing': change('CREATE', {'Name': 'al.example.com', 'Type': 'A', 'AliasTarget': {'HostedZoneId': zid.split('/')[-1], 'DNSName': 'nothing.example.com', 'EvaluateTargetHealth': False}}),
  'mixed': change('CREATE', rrset('www.example.com', 'A', '192.0.2.5', SetIdentifier='w', Weight=10)),
}
res = {k: outcome(lambda c=c: batch(zid, good, c)) for k, c in bad.items()}
res['none'] = outcome(lambda: batch(zid, change('CREATE', {'Name': 'n.example.com', 'Type': 'A', 'TTL': 60})))
res['both'] = outcome(lambda: batch(zid, change('CREATE', dict(rrset('n.example.com', 'A', '192.0.2.1'), AliasTarget={'HostedZoneId': zid.split('/')[-1], 'DNSName': 'www.example.com', 'EvaluateTargetHealth': False}))))
res['no_check'] = outcome(lambda: batch(zid, change('CREATE', rrset('hc.example.com', 'A', '192.0.2.1', SetIdentifier='p', Failover='PRIMARY', HealthCheckId='11111111-2222-3333-4444-555555555555'))))
res['several'] = outcome(lambda: batch(zid, bad['outside'], bad['exists']))
res['unchanged'] = r53.list_resource_record_sets(HostedZoneId=zid)['ResourceRecordSets'] == before
res['swap'] = batch(zid, change('DELETE', rrset('cn.example.com', 'CNAME', 'www.example.com')), change('CREATE', {'Name': 'cn.example.com', 'Type': 'A', 'AliasTarget': {'HostedZoneId': zid.split('/')[-1], 'DNSName': 'www.example.com', 'EvaluateTargetHealth': False}}))['ChangeInfo']['Status']
out(res)
`);
  const batchError = (m: string) => `InvalidChangeBatch 400 [${m}]`;
  assert.equal(r.exists, batchError("Tried to create resource record set [name='www.example.com.', type='A'] but it already exists"));
  assert.equal(r.missing, batchError("Tried to delete resource record set [name='gone.example.com.', type='A'] but it was not found"));
  assert.equal(r.mismatch, batchError("Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values"));
  assert.equal(r.apex_cname, batchError('RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com.'));
  assert.equal(r.cname_beside, batchError('RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.'));
  assert.equal(r.beside_cname, batchError('RRSet of type TXT with DNS name cn.example.com. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone example.com.'));
  assert.equal(r.outside, batchError('RRSet with DNS name www.other.com. is not permitted in zone example.com.'));
  assert.equal(r.delete_soa, batchError('A HostedZone must contain exactly one SOA record.'));
  assert.equal(r.delete_ns, batchError('A HostedZone must contain at least one NS record for the zone itself.'));
  assert.equal(r.bad_ipv4, batchError("Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '192.0.2'"));
  assert.match(r.alias_missing, /^InvalidChangeBatch 400 \[Tried to create an alias that targets nothing\.example\.com\., type A in zone Z[A-Z0-9]+, but that target was not found\]$/);
  assert.match(r.mixed, /^InvalidChangeBatch 400 \[RRSet with DNS name www\.example\.com\., type A is not permitted: one name and type cannot mix routing policies/);
  assert.equal(r.none, 'InvalidInput 400 Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=n.example.com., Type=A, SetIdentifier=null]');
  assert.equal(r.both, 'InvalidInput 400 Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in Change with [Action=CREATE, Name=n.example.com., Type=A, SetIdentifier=null]');
  assert.match(r.no_check, /^NoSuchHealthCheck 404 /);
  assert.equal(r.several, batchError("RRSet with DNS name www.other.com. is not permitted in zone example.com., Tried to create resource record set [name='www.example.com.', type='A'] but it already exists"));
  assert.equal(r.unchanged, true, 'no batch above changed anything');
  assert.equal(r.swap, 'PENDING', 'DELETE of a CNAME and CREATE of an alias of that name in one batch is valid');
});

test('paging of record sets and zones, zones by name, tags, and deleting a zone', async () => {
  const r = await fl.python(R53 + `
zid = r53.create_hosted_zone(Name='pages.test', CallerReference='pages')['HostedZone']['Id']
batch(zid, *[change('CREATE', rrset('h%d.pages.test' % i, 'A', '192.0.2.%d' % i)) for i in range(5)],
  *[change('CREATE', rrset('w.pages.test', 'A', '192.0.2.%d' % i, SetIdentifier='s%d' % i, Weight=i)) for i in range(3)])
pages, kw = [], {}
while True:
    p = r53.list_resource_record_sets(HostedZoneId=zid, MaxItems='3', **kw)
    pages.append([(s['Name'], s['Type'], s.get('SetIdentifier')) for s in p['ResourceRecordSets']])
    if not p['IsTruncated']: break
    kw = {'StartRecordName': p['NextRecordName'], 'StartRecordType': p['NextRecordType']}
    if 'NextRecordIdentifier' in p: kw['StartRecordIdentifier'] = p['NextRecordIdentifier']
res = {'pages': pages}
res['type_alone'] = outcome(lambda: r53.list_resource_record_sets(HostedZoneId=zid, StartRecordType='A'))
for name in ['b.example.org', 'a.example.com', 'example.net']:
    r53.create_hosted_zone(Name=name, CallerReference='byname-' + name)
res['by_name'] = [z['Name'] for z in r53.list_hosted_zones_by_name()['HostedZones']]
res['by_name_from'] = [z['Name'] for z in r53.list_hosted_zones_by_name(DNSName='example.net', MaxItems='2')['HostedZones']]
zones, marker = [], None
while True:
    p = r53.list_hosted_zones(MaxItems='2', **({'Marker': marker} if marker else {}))
    zones += [z['Name'] for z in p['HostedZones']]
    if not p['IsTruncated']: break
    marker = p['NextMarker']
res['zones'] = zones
r53.change_tags_for_resource(ResourceType='hostedzone', ResourceId=zid, AddTags=[{'Key': 'team', 'Value': 'web'}, {'Key': 'env', 'Value': 'test'}])
r53.change_tags_for_resource(ResourceType='hostedzone', ResourceId=zid.split('/')[-1], RemoveTagKeys=['env'])
res['tags'] = r53.list_tags_for_resource(ResourceType='hostedzone', ResourceId=zid)['ResourceTagSet']['Tags']
res['tags_many'] = [s['Tags'] for s in r53.list_tags_for_resources(ResourceType='hostedzone', ResourceIds=[zid.split('/')[-1]])['ResourceTagSets']]
res['not_empty'] = outcome(lambda: r53.delete_hosted_zone(Id=zid))
for s in r53.list_resource_record_sets(HostedZoneId=zid)['ResourceRecordSets']:
    if s['Type'] not in ('NS', 'SOA'): batch(zid, change('DELETE', s))
res['deleted'] = r53.delete_hosted_zone(Id=zid)['ChangeInfo']['Status']
res['gone'] = outcome(lambda: r53.get_hosted_zone(Id=zid))
out(res)
`);
  assert.deepEqual(r.pages, [
    [['pages.test.', 'NS', null], ['pages.test.', 'SOA', null], ['h0.pages.test.', 'A', null]],
    [['h1.pages.test.', 'A', null], ['h2.pages.test.', 'A', null], ['h3.pages.test.', 'A', null]],
    [['h4.pages.test.', 'A', null], ['w.pages.test.', 'A', 's0'], ['w.pages.test.', 'A', 's1']],
    [['w.pages.test.', 'A', 's2']],
  ]);
  assert.match(r.type_alone, /^InvalidInput 400 /);
  // Labels reversed (com.example.a < net.example < org.example.b); the earlier tests' zones are here too.
  const byName = r.by_name as string[];
  assert.deepEqual(byName, [...byName].sort((a, b) => (rev(a) < rev(b) ? -1 : 1)));
  assert.ok(byName.indexOf('a.example.com.') < byName.indexOf('example.net.') && byName.indexOf('example.net.') < byName.indexOf('b.example.org.'));
  assert.deepEqual(r.by_name_from, ['example.net.', byName[byName.indexOf('example.net.') + 1]]);
  assert.deepEqual([...r.zones].sort(), [...byName].sort());
  assert.deepEqual(r.tags, [{ Key: 'team', Value: 'web' }]);
  assert.deepEqual(r.tags_many, [[{ Key: 'team', Value: 'web' }]]);
  assert.equal(r.not_empty, 'HostedZoneNotEmpty 400 The specified hosted zone contains non-required resource record sets and so cannot be deleted.');
  assert.equal(r.deleted, 'PENDING');
  assert.match(r.gone, /^NoSuchHostedZone 404 /);
});

const rev = (n: string) => n.slice(0, -1).split('.').reverse().join('.');

test('the AWS CLI: create-hosted-zone, change-resource-record-sets from a file, list, get-change, delete', async () => {
  const created = await fl.aws('route53', 'create-hosted-zone', '--name', 'cli.example', '--caller-reference', 'cli-1');
  const id = created.HostedZone.Id;
  const file = join(mkdtempSync(join(tmpdir(), 'r53-cli-')), 'batch.json');
  const rr = { Name: 'www.cli.example', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] };
  writeFileSync(file, JSON.stringify({ Comment: 'web', Changes: [{ Action: 'CREATE', ResourceRecordSet: rr }] }));
  const changed = await fl.aws('route53', 'change-resource-record-sets', '--hosted-zone-id', id, '--change-batch', `file://${file}`);
  assert.deepEqual([changed.ChangeInfo.Status, changed.ChangeInfo.Comment], ['PENDING', 'web']);
  const listed = await fl.aws('route53', 'list-resource-record-sets', '--hosted-zone-id', id, '--query', "ResourceRecordSets[?Type=='A']");
  assert.deepEqual(listed, [{ ...rr, Name: 'www.cli.example.' }]);
  fl.advance(30);
  assert.equal((await fl.aws('route53', 'get-change', '--id', changed.ChangeInfo.Id)).ChangeInfo.Status, 'INSYNC');
  writeFileSync(file, JSON.stringify({ Changes: [{ Action: 'DELETE', ResourceRecordSet: rr }] }));
  await fl.aws('route53', 'change-resource-record-sets', '--hosted-zone-id', id, '--change-batch', `file://${file}`);
  assert.equal((await fl.aws('route53', 'delete-hosted-zone', '--id', id)).ChangeInfo.Status, 'PENDING');
  const gone = await fl.awsRaw('route53', 'get-hosted-zone', '--id', id);
  assert.match(gone.stderr, /NoSuchHostedZone/);
});

test('CloudFormation: a stack with a zone, record sets (one by HostedZoneName) and a record set group deploys, answers Ref and GetAtt, and deletes', async () => {
  const template = {
    Resources: {
      Zone: { Type: 'AWS::Route53::HostedZone', Properties: { Name: 'stack.example', HostedZoneConfig: { Comment: 'from a stack' }, HostedZoneTags: [{ Key: 'team', Value: 'web' }] } },
      Www: { Type: 'AWS::Route53::RecordSet', Properties: { HostedZoneId: { Ref: 'Zone' }, Name: 'www.stack.example', Type: 'A', TTL: '60', ResourceRecords: ['192.0.2.1'] } },
      Api: { Type: 'AWS::Route53::RecordSet', DependsOn: 'Zone', Properties: { HostedZoneName: 'stack.example.', Name: 'api.stack.example', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Ref: 'Www' }] } },
      Group: {
        Type: 'AWS::Route53::RecordSetGroup',
        Properties: {
          HostedZoneId: { Ref: 'Zone' },
          RecordSets: [
            { Name: 'w.stack.example', Type: 'A', TTL: 60, SetIdentifier: 'one', Weight: 1, ResourceRecords: ['192.0.2.11'] },
            { Name: 'w.stack.example', Type: 'A', TTL: 60, SetIdentifier: 'two', Weight: 3, ResourceRecords: ['192.0.2.12'] },
            { Name: 'stack.example', Type: 'A', AliasTarget: { HostedZoneId: { Ref: 'Zone' }, DNSName: 'www.stack.example', EvaluateTargetHealth: false } },
          ],
        },
      },
    },
    Outputs: {
      ZoneId: { Value: { 'Fn::GetAtt': ['Zone', 'Id'] } },
      NameServers: { Value: { 'Fn::Join': [',', { 'Fn::GetAtt': ['Zone', 'NameServers'] }] } },
      Www: { Value: { Ref: 'Www' } },
    },
  };
  const script = (body: string) => fl.python(R53 + `cfn = boto3.client('cloudformation', config=no_retry)\n` + body);
  await script(`cfn.create_stack(StackName='jenkins-multiaz-route53-dns', TemplateBody=${JSON.stringify(JSON.stringify(template))})`);
  // Each resource waits for its change to be INSYNC (30 s): the zone, then its sets.
  for (let i = 0; i < 8; i++) fl.advance(31);
  const r = await script(`
s = cfn.describe_stacks(StackName='jenkins-multiaz-route53-dns')['Stacks'][0]
outs = {o['OutputKey']: o['OutputValue'] for o in s.get('Outputs', [])}
zid = outs.get('ZoneId')
res = {'status': s['StackStatus'], 'reason': s.get('StackStatusReason'), 'outs': outs}
if zid:
    res['sets'] = sets(zid)
    res['tags'] = r53.list_tags_for_resource(ResourceType='hostedzone', ResourceId=zid)['ResourceTagSet']['Tags']
    res['api'] = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName='api.stack.example', MaxItems='1')['ResourceRecordSets'][0]['ResourceRecords']
cfn.delete_stack(StackName='jenkins-multiaz-route53-dns')
out(res)
`);
  assert.equal(r.status, 'CREATE_COMPLETE', r.reason);
  assert.match(r.outs.ZoneId, /^Z[A-Z0-9]{20}$/);
  assert.equal(r.outs.NameServers, 'ns-2048.awsdns-64.com,ns-2049.awsdns-65.net,ns-2050.awsdns-66.org,ns-2051.awsdns-67.co.uk');
  assert.equal(r.outs.Www, 'www.stack.example');
  assert.deepEqual(r.sets, [
    ['stack.example.', 'A', null],
    ['stack.example.', 'NS', null],
    ['stack.example.', 'SOA', null],
    ['api.stack.example.', 'CNAME', null],
    ['w.stack.example.', 'A', 'one'],
    ['w.stack.example.', 'A', 'two'],
    ['www.stack.example.', 'A', null],
  ]);
  assert.deepEqual(r.tags, [{ Key: 'team', Value: 'web' }]);
  assert.deepEqual(r.api, [{ Value: 'www.stack.example' }]);
  for (let i = 0; i < 4; i++) fl.advance(31);
  const after = await script(`
out({'status': outcome(lambda: cfn.describe_stacks(StackName='jenkins-multiaz-route53-dns')), 'zone': outcome(lambda: r53.get_hosted_zone(Id='${r.outs.ZoneId}'))})
`);
  assert.match(after.status, /^ValidationError 400 Stack with id jenkins-multiaz-route53-dns does not exist/);
  assert.match(after.zone, /^NoSuchHostedZone 404 /);
});
