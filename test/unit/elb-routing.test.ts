/**
 * How a load balancer node routes (runtime/lb-routing.ts) and reads its health checks
 * (runtime/lb-health-probes.ts): rule conditions with AWS's wildcards and case rules, weighted
 * forwards, the targets a node may use (cross-zone, fail-open, Classic's none), least outstanding
 * requests, redirects, matchers and the failure reasons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TargetPicker, chooseGroup, matchRule, redirectLocation, usableTargets, type RequestFacts } from '../../src/runtime/lb-routing.ts';
import { codeMatches, observe, probeTimeoutMs } from '../../src/runtime/lb-health-probes.ts';
import type { GroupView, RuleView, TargetView } from '../../src/runtime/lb-plan.ts';
import type { HealthSettings } from '../../src/services/elb/state.ts';

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({ host: 'shop.example.com', path: '/api/v1/items', method: 'GET', headers: {}, query: new URLSearchParams(), clientIp: '127.0.0.1', ...over });
const rule = (name: string, conditions: RuleView['conditions']): RuleView => ({ conditions, action: { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: name } } });
const first = (rules: RuleView[], f: RequestFacts) => matchRule(rules, f)?.action.FixedResponseConfig?.MessageBody;

describe('listener rules', () => {
  const rules = [
    rule('host', [{ Field: 'host-header', HostHeaderConfig: { Values: ['*.EXAMPLE.com'] } }, { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } }]),
    rule('path', [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/API/*', '/img/?.png'] } }]),
    rule('header', [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['YES'] } }]),
    rule('query', [{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'version', Value: 'v2*' }, { Value: 'beta' }] } }]),
    rule('source', [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } }]),
    rule('legacy', [{ Field: 'path-pattern', Values: ['/old'] }]),
    rule('default', []),
  ];

  it('takes the first rule whose conditions all hold, with wildcards, host case ignored and path case kept', () => {
    assert.equal(first(rules, facts({ method: 'POST' })), 'host');
    assert.equal(first(rules, facts()), 'default', 'the host rule needs POST too; /API/* does not match /api/…');
    assert.equal(first(rules, facts({ path: '/API/x' })), 'path');
    assert.equal(first(rules, facts({ path: '/img/a.png' })), 'path');
    assert.equal(first(rules, facts({ path: '/img/ab.png' })), 'default');
    assert.equal(first(rules, facts({ headers: { 'x-canary': 'yes' } })), 'header');
    assert.equal(first(rules, facts({ query: new URLSearchParams('Version=V2.1') })), 'query');
    assert.equal(first(rules, facts({ query: new URLSearchParams('x=beta') })), 'query');
    assert.equal(first(rules, facts({ query: new URLSearchParams('version=v1') })), 'default');
    assert.equal(first(rules, facts({ clientIp: '::ffff:10.1.2.3' })), 'source');
    assert.equal(first(rules, facts({ path: '/old' })), 'legacy');
  });

  it('splits a forward by weight, and names the group of a plain forward', () => {
    const action = { Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'a', Weight: 1 }, { TargetGroupArn: 'b', Weight: 3 }, { TargetGroupArn: 'c', Weight: 0 }] } };
    assert.equal(chooseGroup(action, () => 0.2), 'a');
    assert.equal(chooseGroup(action, () => 0.3), 'b');
    assert.equal(chooseGroup(action, () => 0.999), 'b');
    assert.equal(chooseGroup({ Type: 'forward', TargetGroupArn: 'only' }), 'only');
  });

  it('redirects with the parts given, #{…} filled and the rest kept', () => {
    const req = { protocol: 'HTTP', host: 'shop.example.com', port: 80, path: '/cart', query: 'a=1' };
    assert.equal(redirectLocation({ Path: '/new', StatusCode: 'HTTP_301' }, req), 'http://shop.example.com/new?a=1');
    assert.equal(redirectLocation({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }, req), 'https://shop.example.com/cart?a=1');
    assert.equal(redirectLocation({ Host: 'www.#{host}', Port: '8080', Path: '/v2/#{path}', Query: 'from=#{port}', StatusCode: 'HTTP_302' }, req), 'http://www.shop.example.com:8080/v2/cart?from=80');
  });
});

describe('targets a node may use', () => {
  const health = { enabled: true, protocol: 'HTTP', port: 'traffic-port', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' } as HealthSettings;
  const t = (key: string, zone: string, state: TargetView['state'], running = true): TargetView => ({ key, id: key, ip: running ? '10.0.0.1' : undefined, port: 80, zone, state });
  const group = (crossZone: boolean, targets: TargetView[]): GroupView => ({ key: 'g', health, crossZone, algorithm: 'round_robin', targets });
  const keys = (r: { targets: TargetView[] }) => r.targets.map((x) => x.key);

  it('sends only to healthy targets, in its own zone with cross-zone off, never to draining, initial or stopped ones', () => {
    const targets = [t('a1', 'a', 'healthy'), t('a2', 'a', 'draining'), t('a3', 'a', 'initial'), t('b1', 'b', 'healthy'), t('a4', 'a', 'healthy', false)];
    assert.deepEqual(keys(usableTargets(group(false, targets), 'a', 'application')), ['a1']);
    assert.deepEqual(keys(usableTargets(group(true, targets), 'a', 'application')), ['a1', 'b1']);
  });

  it('fails open to the unhealthy targets when none is healthy (ELBv2), but not Classic', () => {
    const targets = [t('a1', 'a', 'unhealthy'), t('b1', 'b', 'unhealthy'), t('b2', 'b', 'initial')];
    assert.deepEqual(usableTargets(group(true, targets), 'a', 'application'), { targets: [targets[0], targets[1]], failOpen: true });
    assert.deepEqual(keys(usableTargets(group(false, targets), 'a', 'network')), ['a1']);
    assert.deepEqual(usableTargets(group(true, targets), 'a', 'classic'), { targets: [], failOpen: false });
  });

  it('picks in turn, or the target with the fewest requests in flight', () => {
    const p = new TargetPicker();
    const ts = [t('a', 'a', 'healthy'), t('b', 'a', 'healthy'), t('c', 'a', 'healthy')];
    assert.deepEqual([1, 2, 3, 4].map(() => p.pick('rr', ts, 'round_robin')!.key), ['a', 'b', 'c', 'a']);
    const doneA = p.begin('a');
    p.begin('b');
    assert.equal(p.pick('lor', ts, 'least_outstanding_requests')!.key, 'c');
    p.begin('c');
    doneA();
    assert.equal(p.pick('lor', ts, 'least_outstanding_requests')!.key, 'a');
  });

  it('forgets the turns of nodes and groups that are gone', () => {
    const p = new TargetPicker();
    const ts = [t('a', 'a', 'healthy'), t('b', 'a', 'healthy')];
    p.pick('kept', ts, 'round_robin');
    p.pick('gone', ts, 'round_robin');
    p.keepTurns(new Set(['kept']));
    assert.equal(p.pick('kept', ts, 'round_robin')!.key, 'b');
    assert.equal(p.pick('gone', ts, 'round_robin')!.key, 'a');
  });
});

describe('health check answers', () => {
  it('match the matcher: single codes, lists and ranges', () => {
    assert.ok(codeMatches('200', 200));
    assert.ok(!codeMatches('200', 204));
    assert.ok(codeMatches('200,202', 202));
    assert.ok(codeMatches('200-399', 302));
    assert.ok(!codeMatches('200-399', 404));
  });

  it('map failures to the reasons AWS reports (an NLB reports only FailedHealthChecks)', () => {
    assert.deepEqual(observe({ status: 200 }, '200', false), { ok: true });
    assert.deepEqual(observe({}, '200', false), { ok: true });
    assert.deepEqual(observe({ status: 500 }, '200-399', false), { ok: false, reason: 'Target.ResponseCodeMismatch', code: '500' });
    assert.deepEqual(observe({ error: 'timeout' }, '200', false), { ok: false, reason: 'Target.Timeout' });
    assert.deepEqual(observe({ error: 'EHOSTUNREACH' }, '200', false), { ok: false, reason: 'Target.Timeout' });
    assert.deepEqual(observe({ error: 'ECONNREFUSED' }, '200', false), { ok: false, reason: 'Target.FailedHealthChecks' });
    assert.deepEqual(observe({ error: 'timeout' }, '200', true), { ok: false, reason: 'Target.FailedHealthChecks' });
  });

  it('time out in real time at the configured timeout, divided by a scaled clock, never below 200 ms', () => {
    assert.equal(probeTimeoutMs(5, 1), 5000);
    assert.equal(probeTimeoutMs(5, 0), 5000, 'a manual clock');
    assert.equal(probeTimeoutMs(6, 60), 200);
    assert.equal(probeTimeoutMs(30, 10), 3000);
  });
});
