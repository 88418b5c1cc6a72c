/**
 * CloudFormation's AWS::Route53::HostedZone, RecordSet and RecordSetGroup (spec route53.md §8),
 * through Route 53's own handlers. Each waits for its change to be INSYNC, as AWS's handlers are
 * taken to (undocumented). AWS::Route53::HealthCheck lives with the health checks, in its own
 * *.cfn.ts, registered beside these.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, num, tagsOf } from '../../cloudformation/handler-kit.ts';
import { AttributeError, DONE, wait, type Progress, type Props, type ResourceContext, type ResourceHandler, type ResourceState } from '../../cloudformation/resource-handler.ts';
import { route53 } from './index.ts';
import { accountScope, canonicalName, COLL, stripZonePrefix, type HostedZoneRecord, type ResourceRecordSet } from './state.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (rc: ResourceContext, op: string, input: Record<string, unknown>): any => callService(route53, op, input, rc.request);

const gone = (e: unknown) => e instanceof AwsError && (e.code === 'NoSuchHostedZone' || /\bbut it was not found\b/.test(e.message));

/** Done once the change in `data.changeId` is INSYNC; polled until then. */
function insync(state: ResourceState, rc: ResourceContext): Progress {
  const id = state.data.changeId;
  if (typeof id !== 'string') return DONE;
  const info = call(rc, 'GetChange', { Id: id }).ChangeInfo;
  return info.Status === 'INSYNC' ? DONE : wait(1000);
}

/**
 * A resource's tags from a template's old list to its new one, through ChangeTagsForResource:
 * the new tags are (re)written and the keys the template dropped removed.
 */
export function changeTags(rc: ResourceContext, type: 'hostedzone' | 'healthcheck', id: string, before: unknown, after: unknown): void {
  const add = tagsOf(after);
  const removed = tagsOf(before).filter((t) => !add.some((a) => a.Key === t.Key)).map((t) => t.Key);
  if (!add.length && !removed.length) return;
  call(rc, 'ChangeTagsForResource', { ResourceType: type, ResourceId: id, AddTags: add.length ? add : undefined, RemoveTagKeys: removed.length ? removed : undefined });
}

type Vpc = { VPCId: string; VPCRegion: string };
const vpcsOf = (v: unknown): Vpc[] => (Array.isArray(v) ? (v as Vpc[]).map((x) => ({ VPCId: String(x.VPCId), VPCRegion: String(x.VPCRegion) })) : []);
const sameVpc = (a: Vpc) => (b: Vpc) => a.VPCId === b.VPCId && a.VPCRegion === b.VPCRegion;

const hostedZone: ResourceHandler = {
  type: 'AWS::Route53::HostedZone',
  create(props, rc) {
    if (props.QueryLoggingConfig !== undefined) throw new AwsError('InvalidInput', 'faultline does not log DNS queries: QueryLoggingConfig is not supported.');
    const vpcs = vpcsOf(props.VPCs);
    const config = props.HostedZoneConfig as { Comment?: string } | undefined;
    const out = call(rc, 'CreateHostedZone', {
      Name: props.Name,
      // At most 128 characters: the varying parts first, the stack by its id's closing UUID.
      CallerReference: `${rc.env.clock.now()}-${rc.stackId.split('/').pop()}-${rc.logicalId}`.slice(0, 128),
      HostedZoneConfig: config || vpcs.length ? { Comment: config?.Comment, PrivateZone: vpcs.length > 0 } : undefined,
      VPC: vpcs[0],
    });
    const id = stripZonePrefix(out.HostedZone.Id);
    for (const vpc of vpcs.slice(1)) call(rc, 'AssociateVPCWithHostedZone', { HostedZoneId: id, VPC: vpc });
    changeTags(rc, 'hostedzone', id, undefined, props.HostedZoneTags);
    return { physicalId: id, data: { changeId: out.ChangeInfo.Id } };
  },
  stabilize: insync,
  update(props, old, changed, rc) {
    const other = changed.filter((c) => !['HostedZoneConfig', 'HostedZoneTags', 'VPCs'].includes(c));
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of a hosted zone in place.`);
    const id = old.physicalId;
    if (changed.includes('HostedZoneConfig')) call(rc, 'UpdateHostedZoneComment', { Id: id, Comment: (props.HostedZoneConfig as { Comment?: string } | undefined)?.Comment });
    if (changed.includes('HostedZoneTags')) changeTags(rc, 'hostedzone', id, old.props.HostedZoneTags, props.HostedZoneTags);
    if (changed.includes('VPCs')) {
      const before = vpcsOf(old.props.VPCs);
      const after = vpcsOf(props.VPCs);
      if (!before.length !== !after.length) throw new AwsError('NotUpdatable', 'A hosted zone cannot change between public and private.');
      // Associate first: a private zone keeps at least one VPC throughout.
      for (const v of after.filter((a) => !before.some(sameVpc(a)))) call(rc, 'AssociateVPCWithHostedZone', { HostedZoneId: id, VPC: v });
      for (const v of before.filter((b) => !after.some(sameVpc(b)))) call(rc, 'DisassociateVPCFromHostedZone', { HostedZoneId: id, VPC: v });
    }
  },
  delete(state, rc) {
    try {
      call(rc, 'DeleteHostedZone', { Id: state.physicalId });
    } catch (e) {
      if (!gone(e)) throw e;
    }
    return DONE;
  },
  getAtt: (s, name, rc) =>
    attribute(
      {
        Id: () => s.physicalId,
        NameServers: () => {
          const out = call(rc, 'GetHostedZone', { Id: s.physicalId });
          if (!out.DelegationSet) throw new AttributeError(name);
          return out.DelegationSet.NameServers;
        },
      },
      name,
      s,
    ),
};

/** The zone a record set names: `HostedZoneId`, or `HostedZoneName`, which must match exactly one zone. */
function zoneIdOf(props: Props, rc: ResourceContext): string {
  if ((props.HostedZoneId === undefined) === (props.HostedZoneName === undefined)) {
    throw new AwsError('InvalidInput', 'Specify exactly one of HostedZoneId and HostedZoneName.');
  }
  if (props.HostedZoneId !== undefined) return stripZonePrefix(String(props.HostedZoneId));
  const name = canonicalName(String(props.HostedZoneName));
  const zones = rc.env.store.list<HostedZoneRecord>(COLL.zones, accountScope(rc.request.account)).filter((z) => z.Name === name);
  if (zones.length !== 1) throw new AwsError('InvalidInput', zones.length ? `More than one hosted zone is named ${name}: give HostedZoneId instead.` : `No hosted zone is named ${name}.`);
  return zones[0].Id;
}

/** A template's record set (values as a list of strings, numbers as strings) in the API's shape. */
function recordSetOf(p: Props): ResourceRecordSet {
  const alias = p.AliasTarget as { HostedZoneId: string; DNSName: string; EvaluateTargetHealth?: unknown } | undefined;
  const rr: ResourceRecordSet = {
    Name: String(p.Name),
    Type: String(p.Type),
    SetIdentifier: p.SetIdentifier === undefined ? undefined : String(p.SetIdentifier),
    Weight: num(p.Weight),
    Region: p.Region === undefined ? undefined : String(p.Region),
    GeoLocation: p.GeoLocation as ResourceRecordSet['GeoLocation'],
    Failover: p.Failover as ResourceRecordSet['Failover'],
    MultiValueAnswer: bool(p.MultiValueAnswer),
    TTL: num(p.TTL),
    ResourceRecords: Array.isArray(p.ResourceRecords) ? p.ResourceRecords.map((v) => ({ Value: String(v) })) : undefined,
    AliasTarget: alias && { HostedZoneId: String(alias.HostedZoneId), DNSName: String(alias.DNSName), EvaluateTargetHealth: bool(alias.EvaluateTargetHealth) ?? false },
    HealthCheckId: p.HealthCheckId === undefined ? undefined : String(p.HealthCheckId),
  };
  return Object.fromEntries(Object.entries(rr).filter(([, v]) => v !== undefined)) as unknown as ResourceRecordSet;
}

const setKey = (s: ResourceRecordSet) => JSON.stringify([canonicalName(s.Name), s.Type, s.SetIdentifier ?? null]);

/** The sets of `wanted` as the zone has them now (for DELETE, which must match every field); missing ones left out. */
function currentSets(rc: ResourceContext, zoneId: string, wanted: ResourceRecordSet[]): ResourceRecordSet[] {
  const out: ResourceRecordSet[] = [];
  for (const w of wanted) {
    const page = call(rc, 'ListResourceRecordSets', { HostedZoneId: zoneId, StartRecordName: w.Name, StartRecordType: w.Type, StartRecordIdentifier: w.SetIdentifier, MaxItems: '1' });
    const found = (page.ResourceRecordSets as ResourceRecordSet[])[0];
    if (found && setKey(found) === setKey(w)) out.push(found);
  }
  return out;
}

/** One change batch from the sets a resource had (`before`) to the sets it has (`after`). */
function changeSets(rc: ResourceContext, zoneId: string, before: ResourceRecordSet[], after: ResourceRecordSet[], comment?: unknown): string | undefined {
  const keep = new Set(after.map(setKey));
  const existing = new Set(before.map(setKey));
  const changes = [
    ...currentSets(rc, zoneId, before.filter((b) => !keep.has(setKey(b)))).map((s) => ({ Action: 'DELETE', ResourceRecordSet: s })),
    ...after.map((s) => ({ Action: existing.has(setKey(s)) ? 'UPSERT' : 'CREATE', ResourceRecordSet: s })),
  ];
  if (!changes.length) return undefined;
  return call(rc, 'ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Comment: comment === undefined ? undefined : String(comment), Changes: changes } }).ChangeInfo.Id;
}

function deleteSets(rc: ResourceContext, zoneId: string, sets: ResourceRecordSet[]): Progress {
  try {
    const current = currentSets(rc, zoneId, sets);
    if (current.length) call(rc, 'ChangeResourceRecordSets', { HostedZoneId: zoneId, ChangeBatch: { Changes: current.map((s) => ({ Action: 'DELETE', ResourceRecordSet: s })) } });
  } catch (e) {
    if (!gone(e)) throw e;
  }
  return DONE;
}

const recordSet: ResourceHandler = {
  type: 'AWS::Route53::RecordSet',
  create(props, rc) {
    const zoneId = zoneIdOf(props, rc);
    const changeId = changeSets(rc, zoneId, [], [recordSetOf(props)], props.Comment);
    return { physicalId: String(props.Name), data: { zoneId, changeId } };
  },
  stabilize: insync,
  update(props, old, _changed, rc) {
    const zoneId = String(old.data.zoneId);
    return { data: { zoneId, changeId: changeSets(rc, zoneId, [recordSetOf(old.props)], [recordSetOf(props)], props.Comment) } };
  },
  delete: (s, rc) => deleteSets(rc, String(s.data.zoneId), [recordSetOf(s.props)]),
};

const setsOf = (props: Props) => (Array.isArray(props.RecordSets) ? (props.RecordSets as Props[]).map(recordSetOf) : []);

const recordSetGroup: ResourceHandler = {
  type: 'AWS::Route53::RecordSetGroup',
  create(props, rc) {
    const zoneId = zoneIdOf(props, rc);
    const sets = setsOf(props);
    if (sets.length > 1000) throw new AwsError('InvalidInput', 'A record set group holds at most 1,000 record sets.');
    // The Ref of a group is undocumented in form: an opaque generated name.
    return { physicalId: rc.physicalName({ maxLength: 128 }), data: { zoneId, changeId: changeSets(rc, zoneId, [], sets, props.Comment) } };
  },
  stabilize: insync,
  update(props, old, _changed, rc) {
    const zoneId = String(old.data.zoneId);
    return { data: { zoneId, changeId: changeSets(rc, zoneId, setsOf(old.props), setsOf(props), props.Comment) } };
  },
  delete: (s, rc) => deleteSets(rc, String(s.data.zoneId), setsOf(s.props)),
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

export const route53Resources: ResourceHandler[] = [hostedZone, recordSet, recordSetGroup];
