// What names answer (services/route53/answer.ts), with zones, record sets, health checks, load
// balancers and interfaces written directly through the store (to test the answers in isolation
// from the Route 53 API), on the manual clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { answer, type DnsAnswer, type DnsQuery } from '../../src/services/route53/answer.ts';
import { COLL, accountScope, type ResourceRecordSet } from '../../src/services/route53/state.ts';
import { COLL as ELB_COLL, classicKey, targetKey, type LoadBalancerRecord, type TargetGroupRecord, type TargetRecord } from '../../src/services/elb/state.ts';
import { COLL as EC2_COLL, COMPUTE_COLL } from '../../src/services/ec2/state.ts';
import { seedHealthCheck, seedRecordSet, seedZone } from '../route53-support.ts';
import { COLL as RDS_COLL } from '../../src/services/rds/state.ts';

const A1 = '000000000000';
const A2 = '111111111111';
const scope = { account: A1, region: 'us-east-1' };
let app: App;
let dir: string;

const write = (fn: () => void) => app.env.store.transaction(fn);
const ask = (name: string, type = 'A', vpc?: DnsQuery['vpc']) => answer(app.env, { name, type, vpc });
const values = (a: DnsAnswer) => a.answers.map((r) => r.value).sort();

const zone = (name: string, opts: Parameters<typeof seedZone>[2] = {}) => seedZone(app.env, name, opts);
const rrset = (zoneId: string, set: ResourceRecordSet, opts: Parameters<typeof seedRecordSet>[3] = {}) => seedRecordSet(app.env, zoneId, set, opts);
const healthCheck = (id: string, healthy: boolean) => seedHealthCheck(app.env, id, healthy);

const a = (name: string, ip: string, extra: Partial<ResourceRecordSet> = {}): ResourceRecordSet => ({ Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: ip }], ...extra });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'r53-answer-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('simple records, negative answers and wildcards', () => {
  let z: string;
  before(() => {
    z = zone('simple.test.');
    rrset(z, { Name: 'www.simple.test.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }, { Value: '192.0.2.11' }] });
    rrset(z, { Name: 'simple.test.', Type: 'MX', TTL: 300, ResourceRecords: [{ Value: '10 mail.simple.test.' }] });
    rrset(z, { Name: 'simple.test.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] });
    rrset(z, { Name: '*.wild.simple.test.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '192.0.2.99' }] });
    rrset(z, { Name: 'x.deep.simple.test.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '192.0.2.98' }] });
    rrset(z, { Name: 'alias.simple.test.', Type: 'A', AliasTarget: { HostedZoneId: z, DNSName: 'www.simple.test', EvaluateTargetHealth: false } });
    rrset(z, { Name: 'cname.simple.test.', Type: 'CNAME', TTL: 120, ResourceRecords: [{ Value: 'www.simple.test' }] });
    rrset(z, { Name: 'out.simple.test.', Type: 'CNAME', TTL: 120, ResourceRecords: [{ Value: 'elsewhere.invalid' }] });
  });

  it('answers every value of a simple set, with its TTL and authority, in any case', () => {
    const r = ask('WWW.Simple.Test');
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.authoritative, true);
    assert.deepEqual(values(r), ['192.0.2.10', '192.0.2.11']);
    assert.deepEqual(r.answers.map((x) => [x.name, x.type, x.ttl]), [['www.simple.test.', 'A', 300], ['www.simple.test.', 'A', 300]]);
    // Several values come in a new order each time, so the answer is never kept rendered.
    assert.equal(r.cacheable, false);
    assert.equal(ask('simple.test', 'MX').cacheable, true);
    assert.deepEqual(values(ask('simple.test', 'MX')), ['10 mail.simple.test.']);
    assert.deepEqual(values(ask('simple.test', 'TXT')), ['"v=spf1 -all"']);
  });

  it('puts the SOA in authority for NXDOMAIN and NODATA, with the smaller of its TTL and minimum', () => {
    const nx = ask('nothing.simple.test');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.deepEqual(nx.answers, []);
    assert.deepEqual(nx.authority, [{ name: 'simple.test.', type: 'SOA', ttl: 900, value: 'ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }]);
    const nodata = ask('www.simple.test', 'MX');
    assert.equal(nodata.rcode, 'NOERROR');
    assert.deepEqual(nodata.answers, []);
    assert.equal(nodata.authority[0].type, 'SOA');
    // A name with only names below it exists: NODATA, not NXDOMAIN.
    assert.equal(ask('deep.simple.test').rcode, 'NOERROR');
  });

  it('answers a wildcard for names that do not exist below it', () => {
    const r = ask('anything.wild.simple.test');
    assert.deepEqual(r.answers, [{ name: 'anything.wild.simple.test.', type: 'A', ttl: 30, value: '192.0.2.99' }]);
    assert.deepEqual(values(ask('a.b.wild.simple.test')), ['192.0.2.99']);
    assert.equal(ask('other.simple.test').rcode, 'NXDOMAIN');
  });

  it('follows aliases to sets of the zone and CNAMEs within faultline, and stops at names it does not answer', () => {
    const alias = ask('alias.simple.test');
    assert.deepEqual(values(alias), ['192.0.2.10', '192.0.2.11']);
    assert.deepEqual(alias.answers.map((x) => [x.name, x.ttl]), [['alias.simple.test.', 300], ['alias.simple.test.', 300]]);
    const cname = ask('cname.simple.test');
    assert.deepEqual(cname.answers.map((x) => `${x.name} ${x.type} ${x.value}`).slice(0, 1), ['cname.simple.test. CNAME www.simple.test']);
    assert.deepEqual(cname.answers.slice(1).map((x) => x.value).sort(), ['192.0.2.10', '192.0.2.11']);
    assert.deepEqual(values(ask('cname.simple.test', 'CNAME')), ['www.simple.test']);
    const out = ask('out.simple.test');
    assert.equal(out.rcode, 'NOERROR');
    assert.deepEqual(values(out), ['elsewhere.invalid']);
  });

  it('refuses names that are not faultline\'s', () => {
    assert.equal(ask('example.invalid').rcode, 'REFUSED');
  });
});

describe('routing policies and health', () => {
  it('picks weighted sets in proportion to their weights over 10,000 answers, never weight 0', () => {
    const z = zone('weighted.test.');
    rrset(z, a('w.weighted.test.', '192.0.2.1', { SetIdentifier: 'one', Weight: 1 }));
    rrset(z, a('w.weighted.test.', '192.0.2.3', { SetIdentifier: 'three', Weight: 3 }));
    rrset(z, a('w.weighted.test.', '192.0.2.0', { SetIdentifier: 'zero', Weight: 0 }));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const r = ask('w.weighted.test');
      assert.equal(r.answers.length, 1);
      assert.equal(r.cacheable, false);
      counts[r.answers[0].value] = (counts[r.answers[0].value] ?? 0) + 1;
    }
    assert.equal(counts['192.0.2.0'], undefined);
    // 2,500 expected for weight 1 of 4; the standard deviation is about 43.
    assert.ok(Math.abs(counts['192.0.2.1'] - 2500) < 250, JSON.stringify(counts));
    assert.ok(Math.abs(counts['192.0.2.3'] - 7500) < 250, JSON.stringify(counts));
  });

  it('weighted with health: unhealthy sets are skipped, zero weights only when every other set is unhealthy, and all when none is healthy', () => {
    const z = zone('wh.test.');
    healthCheck('hc-w1', true);
    healthCheck('hc-w2', false);
    healthCheck('hc-w0', true);
    rrset(z, a('w.wh.test.', '192.0.2.1', { SetIdentifier: 'one', Weight: 1, HealthCheckId: 'hc-w1' }));
    rrset(z, a('w.wh.test.', '192.0.2.2', { SetIdentifier: 'two', Weight: 200, HealthCheckId: 'hc-w2' }));
    rrset(z, a('w.wh.test.', '192.0.2.0', { SetIdentifier: 'zero', Weight: 0, HealthCheckId: 'hc-w0' }));
    const seen = (n: number) => new Set(Array.from({ length: n }, () => ask('w.wh.test').answers[0].value));
    assert.deepEqual([...seen(200)], ['192.0.2.1']);
    healthCheck('hc-w1', false);
    assert.deepEqual([...seen(200)], ['192.0.2.0']);
    healthCheck('hc-w0', false);
    // None healthy: all are, by weight (1 and 200; weight 0 never). 4,000 draws: the chance that
    // weight 1 is never drawn is (200/201)^4000, about 2e-9 (with 400 it was 13 %).
    assert.deepEqual([...seen(4000)].sort(), ['192.0.2.1', '192.0.2.2']);
  });

  it('failover: the primary while it is healthy, else a healthy secondary, and the primary when both are unhealthy', () => {
    const z = zone('failover.test.');
    healthCheck('hc-p', true);
    healthCheck('hc-s', true);
    rrset(z, a('www.failover.test.', '192.0.2.1', { SetIdentifier: 'p', Failover: 'PRIMARY', HealthCheckId: 'hc-p' }));
    rrset(z, a('www.failover.test.', '192.0.2.2', { SetIdentifier: 's', Failover: 'SECONDARY', HealthCheckId: 'hc-s' }));
    assert.deepEqual(values(ask('www.failover.test')), ['192.0.2.1']);
    assert.equal(ask('www.failover.test').cacheable, true);
    healthCheck('hc-p', false);
    assert.deepEqual(values(ask('www.failover.test')), ['192.0.2.2']);
    healthCheck('hc-s', false);
    assert.deepEqual(values(ask('www.failover.test')), ['192.0.2.1']);
    // A deleted check counts as none: healthy.
    write(() => app.env.store.delete(COLL.healthChecks, accountScope(A1), 'hc-s'));
    assert.deepEqual(values(ask('www.failover.test')), ['192.0.2.2']);
  });

  it('multivalue: up to 8 healthy sets, the healthy ones only, and up to 8 of all when none is healthy', () => {
    const z = zone('multi.test.');
    for (let i = 1; i <= 10; i++) {
      healthCheck(`hc-m${i}`, i > 3);
      rrset(z, a('m.multi.test.', `192.0.2.${i}`, { SetIdentifier: `s${i}`, MultiValueAnswer: true, HealthCheckId: `hc-m${i}` }));
    }
    const r = ask('m.multi.test');
    assert.deepEqual(values(r), ['4', '5', '6', '7', '8', '9', '10'].map((n) => `192.0.2.${n}`).sort());
    for (let i = 4; i <= 10; i++) healthCheck(`hc-m${i}`, true);
    for (let i = 1; i <= 3; i++) healthCheck(`hc-m${i}`, true);
    const subsets = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const all = ask('m.multi.test');
      assert.equal(all.answers.length, 8);
      assert.equal(new Set(values(all)).size, 8);
      subsets.add(values(all).join(','));
    }
    assert.ok(subsets.size > 1, 'different askers get different subsets of 8');
    for (let i = 1; i <= 10; i++) healthCheck(`hc-m${i}`, false);
    assert.equal(ask('m.multi.test').answers.length, 8);
  });

  it('latency answers the asker\'s region first and the next one when it is unhealthy; geolocation answers the default location', () => {
    const z = zone('latency.test.');
    healthCheck('hc-use1', true);
    rrset(z, a('l.latency.test.', '192.0.2.1', { SetIdentifier: 'use1', Region: 'us-east-1', HealthCheckId: 'hc-use1' }));
    rrset(z, a('l.latency.test.', '192.0.2.2', { SetIdentifier: 'usw2', Region: 'us-west-2' }));
    rrset(z, a('l.latency.test.', '192.0.2.3', { SetIdentifier: 'euw1', Region: 'eu-west-1' }));
    assert.deepEqual(values(ask('l.latency.test')), ['192.0.2.1']);
    healthCheck('hc-use1', false);
    assert.deepEqual(values(ask('l.latency.test')), ['192.0.2.2']);
    rrset(z, a('g.latency.test.', '192.0.2.7', { SetIdentifier: 'de', GeoLocation: { CountryCode: 'DE' } }));
    rrset(z, a('g.latency.test.', '192.0.2.8', { SetIdentifier: 'default', GeoLocation: { CountryCode: '*' } }));
    assert.deepEqual(values(ask('g.latency.test')), ['192.0.2.8']);
    // An unhealthy default is still the only set a local asker matches.
    healthCheck('hc-geo-default', false);
    rrset(z, a('h.latency.test.', '192.0.2.9', { SetIdentifier: 'de', GeoLocation: { CountryCode: 'DE' } }));
    rrset(z, a('h.latency.test.', '192.0.2.10', { SetIdentifier: 'default', GeoLocation: { CountryCode: '*' }, HealthCheckId: 'hc-geo-default' }));
    assert.deepEqual(values(ask('h.latency.test')), ['192.0.2.10']);
  });
});

describe('aliases to load balancers', () => {
  const lbName = 'web-1234567890.us-east-1.elb.amazonaws.com';
  const group = classicKey('web');
  const target = (id: string, zoneName: string, state: TargetRecord['state']) =>
    write(() => app.env.store.put<TargetRecord>(ELB_COLL.targets, scope, targetKey(group, id, 0), { key: targetKey(group, id, 0), group, id, port: 0, zone: zoneName, state, registeredAt: 0, passes: 0, failures: 0 }));

  before(() => {
    const lb = {
      key: group,
      kind: 'classic',
      name: 'web',
      dnsName: lbName,
      canonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      scheme: 'internet-facing',
      vpcId: 'vpc-1',
      securityGroups: [],
      nodes: [
        { zone: 'us-east-1a', subnetId: 'subnet-a', eniId: 'eni-a', privateIp: '10.0.0.10', publicIp: '127.100.9.1' },
        { zone: 'us-east-1b', subnetId: 'subnet-b', eniId: 'eni-b', privateIp: '10.0.1.10', publicIp: '127.100.9.2' },
      ],
      activeAt: 0,
      createdTime: '',
      createdAt: 0,
      ipAddressType: 'ipv4',
      attributes: {},
      tags: [],
    } satisfies LoadBalancerRecord;
    const tg = { key: group, kind: 'classic', name: 'web', vpcId: 'vpc-1', targetType: 'instance', health: { enabled: true, protocol: 'HTTP', port: '80', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' }, deregistrationDelay: 0, attributes: {}, tags: [], createdAt: 0 } satisfies TargetGroupRecord;
    write(() => {
      app.env.store.put(ELB_COLL.loadBalancers, scope, group, lb);
      app.env.store.put(ELB_COLL.targetGroups, scope, group, tg);
    });
    target('i-a', 'us-east-1a', 'healthy');
    target('i-b', 'us-east-1b', 'healthy');
  });

  it('answers the load balancer\'s own name and an alias to it with the nodes that have healthy targets, TTL 60', () => {
    const z = zone('lb.test.');
    rrset(z, { Name: 'lb.test.', Type: 'A', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: `dualstack.${lbName}.`, EvaluateTargetHealth: false } });
    assert.deepEqual(values(ask(lbName)), ['127.100.9.1', '127.100.9.2']);
    const r = ask('lb.test');
    assert.deepEqual(values(r), ['127.100.9.1', '127.100.9.2']);
    assert.deepEqual(r.answers.map((x) => x.ttl), [60, 60]);
    assert.equal(r.cacheable, false);
    target('i-b', 'us-east-1b', 'unhealthy');
    assert.deepEqual(values(ask('lb.test')), ['127.100.9.1']);
    target('i-b', 'us-east-1b', 'healthy');
  });

  it('EvaluateTargetHealth: a failover primary aliased to a load balancer with no healthy target gives way to the secondary', () => {
    const z = zone('eth.test.');
    rrset(z, { Name: 'www.eth.test.', Type: 'A', SetIdentifier: 'p', Failover: 'PRIMARY', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: lbName, EvaluateTargetHealth: true } });
    rrset(z, a('www.eth.test.', '192.0.2.50', { SetIdentifier: 's', Failover: 'SECONDARY' }));
    assert.deepEqual(values(ask('www.eth.test')), ['127.100.9.1', '127.100.9.2']);
    target('i-a', 'us-east-1a', 'unhealthy');
    target('i-b', 'us-east-1b', 'unhealthy');
    assert.deepEqual(values(ask('www.eth.test')), ['192.0.2.50']);
    target('i-a', 'us-east-1a', 'healthy');
    assert.deepEqual(values(ask('www.eth.test')), ['127.100.9.1']);
  });
});

describe('private zones and instance names', () => {
  const vpc = { vpcId: 'vpc-dns1', account: A1, region: 'us-east-1' };
  const other = { vpcId: 'vpc-dns2', account: A1, region: 'us-east-1' };
  before(() => {
    write(() => {
      for (const id of [vpc.vpcId, other.vpcId]) app.env.store.put(EC2_COLL.vpcs, scope, id, { VpcId: id, CidrBlock: '10.0.0.0/16', enableDnsSupport: true, enableDnsHostnames: true });
      app.env.store.put(COMPUTE_COLL.networkInterfaces, scope, 'eni-dns1', {
        NetworkInterfaceId: 'eni-dns1',
        VpcId: vpc.vpcId,
        PrivateIpAddress: '10.0.0.5',
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.0.5', PrivateDnsName: 'ip-10-0-0-5.ec2.internal' }],
        Association: { IpOwnerId: 'amazon', PublicIp: '127.100.0.5', PublicDnsName: 'ec2-127-100-0-5.compute-1.amazonaws.com' },
      });
    });
    const pub = zone('corp.test.');
    rrset(pub, a('www.corp.test.', '192.0.2.80'));
    rrset(pub, a('public-only.corp.test.', '192.0.2.81'));
    const priv = zone('corp.test.', { vpcs: [vpc.vpcId] });
    rrset(priv, a('www.corp.test.', '10.0.0.80'));
  });

  it('answers a private zone only inside its VPC, and NXDOMAIN there for its names it lacks, without falling back', () => {
    assert.deepEqual(values(ask('www.corp.test', 'A', vpc)), ['10.0.0.80']);
    assert.deepEqual(values(ask('www.corp.test')), ['192.0.2.80']);
    assert.deepEqual(values(ask('www.corp.test', 'A', other)), ['192.0.2.80']);
    assert.equal(ask('public-only.corp.test', 'A', vpc).rcode, 'NXDOMAIN');
    assert.equal(ask('public-only.corp.test', 'A', other).rcode, 'NOERROR');
    // Without DNS hostnames the VPC's private zones are not answered; without DNS support nothing is.
    write(() => app.env.store.put(EC2_COLL.vpcs, scope, vpc.vpcId, { VpcId: vpc.vpcId, CidrBlock: '10.0.0.0/16', enableDnsSupport: true, enableDnsHostnames: false }));
    assert.deepEqual(values(ask('www.corp.test', 'A', vpc)), ['192.0.2.80']);
    // Nor are Amazon's private instance names (both attributes are needed, spec §6).
    assert.notEqual(ask('ip-10-0-0-5.ec2.internal', 'A', vpc).rcode, 'NOERROR');
    write(() => app.env.store.put(EC2_COLL.vpcs, scope, vpc.vpcId, { VpcId: vpc.vpcId, CidrBlock: '10.0.0.0/16', enableDnsSupport: false, enableDnsHostnames: false }));
    assert.equal(ask('www.corp.test', 'A', vpc).rcode, 'REFUSED');
    write(() => app.env.store.put(EC2_COLL.vpcs, scope, vpc.vpcId, { VpcId: vpc.vpcId, CidrBlock: '10.0.0.0/16', enableDnsSupport: true, enableDnsHostnames: true }));
  });

  it('answers instances\' public names with the public IP outside and the private IP inside their VPC, and private names inside only', () => {
    assert.deepEqual(values(ask('ec2-127-100-0-5.compute-1.amazonaws.com')), ['127.100.0.5']);
    assert.deepEqual(values(ask('ec2-127-100-0-5.compute-1.amazonaws.com', 'A', vpc)), ['10.0.0.5']);
    assert.deepEqual(values(ask('ec2-127-100-0-5.compute-1.amazonaws.com', 'A', other)), ['127.100.0.5']);
    assert.equal(ask('ec2-127-100-0-6.compute-1.amazonaws.com').rcode, 'NXDOMAIN');
    assert.deepEqual(values(ask('ip-10-0-0-5.ec2.internal', 'A', vpc)), ['10.0.0.5']);
    assert.equal(ask('ip-10-0-0-5.ec2.internal', 'A', other).rcode, 'NXDOMAIN');
    assert.equal(ask('ip-10-0-0-5.ec2.internal').rcode, 'REFUSED');
  });
});

describe('versions and owners', () => {
  it('answers the served version: not a set whose creation is pending, the old values of a pending change, and a deleted set until INSYNC', () => {
    const z = zone('versions.test.');
    rrset(z, a('new.versions.test.', '192.0.2.1'), { served: null });
    rrset(z, a('changed.versions.test.', '192.0.2.2'), { shown: a('changed.versions.test.', '192.0.2.3') });
    rrset(z, a('gone.versions.test.', '192.0.2.4'), { shown: null });
    assert.equal(ask('new.versions.test').rcode, 'NXDOMAIN');
    assert.deepEqual(values(ask('changed.versions.test')), ['192.0.2.2']);
    assert.deepEqual(values(ask('gone.versions.test')), ['192.0.2.4']);
  });

  it('answers a public zone for any account, the oldest when two have one name', () => {
    const newer = zone('shared.test.', { account: A2, createdAt: 2e12 });
    rrset(newer, a('www.shared.test.', '192.0.2.200'), { account: A2 });
    assert.deepEqual(values(ask('www.shared.test')), ['192.0.2.200']);
    const older = zone('shared.test.', { createdAt: 1 });
    rrset(older, a('www.shared.test.', '192.0.2.100'));
    assert.deepEqual(values(ask('www.shared.test')), ['192.0.2.100']);
  });

  it('answers TestDNSAnswer\'s question from the one zone it names', () => {
    const z = zone('only.test.');
    rrset(z, a('www.only.test.', '192.0.2.9'));
    assert.deepEqual(values(answer(app.env, { name: 'www.only.test', type: 'A', zone: { account: A1, id: `/hostedzone/${z}` } })), ['192.0.2.9']);
    assert.equal(answer(app.env, { name: 'www.only.test', type: 'A', zone: { account: A2, id: z } }).rcode, 'REFUSED');
  });
});

describe('DB instance endpoints', () => {
  it('answers an endpoint with the address that follows its primary, TTL 5, and NXDOMAIN for one that does not exist', () => {
    const address = 'orders.c0ffee123456.us-east-1.rds.amazonaws.com';
    write(() =>
      app.env.store.put(RDS_COLL.instances, scope, 'orders', { DBInstanceIdentifier: 'orders', Endpoint: { Address: address, Port: 5432, HostedZoneId: 'Z2R2ITUGPM61AM' }, endpointIp: '127.100.7.7' }),
    );
    const found = ask(address.toUpperCase());
    assert.equal(found.rcode, 'NOERROR');
    assert.deepEqual(found.answers, [{ name: `${address}.`, type: 'A', ttl: 5, value: '127.100.7.7' }]);
    assert.equal(ask('other.c0ffee123456.us-east-1.rds.amazonaws.com').rcode, 'NXDOMAIN');
    assert.equal(ask(address.replace('us-east-1', 'eu-west-1')).rcode, 'NXDOMAIN');
  });
});
