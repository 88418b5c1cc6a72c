/**
 * AWS::S3::Bucket's configuration properties as S3 API calls: LifecycleConfiguration,
 * VersioningConfiguration, BucketEncryption, PublicAccessBlockConfiguration and
 * OwnershipControls. Each property becomes the input of its Put operation, or, when an update
 * removes it, the call that takes it away. Template spellings differ from S3's (ExpirationInDays
 * for Expiration.Days, TagFilters for a filter's tags); a key the type does not have fails the
 * resource, as CloudFormation's property validation does.
 */
import { AwsError } from '../../core/errors.ts';

type Obj = Record<string, unknown>;

/** One S3 call: the operation and its input, without the bucket. */
export interface BucketCall {
  op: string;
  input: Obj;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object at `path`, refusing keys outside `keys` in CloudFormation's words. */
function fields(value: unknown, keys: string[], path: string): Obj {
  if (!isObj(value)) throw new AwsError('ValidationError', `Properties validation failed: #${path}: expected type: JSONObject, found: ${Array.isArray(value) ? 'JSONArray' : typeof value}`);
  const extra = Object.keys(value).filter((k) => !keys.includes(k));
  if (extra.length) throw new AwsError('ValidationError', `Properties validation failed: #${path}: extraneous key [${extra[0]}] is not permitted`);
  return value;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AwsError('ValidationError', `Properties validation failed: #${path}: expected type: JSONArray, found: ${typeof value}`);
  return value;
}

/** Drops undefined members, so that an absent property is absent from the call. */
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const nonEmpty = (items: unknown[]) => (items.length ? items : undefined);

const RULE_KEYS = [
  'AbortIncompleteMultipartUpload', 'ExpirationDate', 'ExpirationInDays', 'ExpiredObjectDeleteMarker', 'Id', 'NoncurrentVersionExpiration',
  'NoncurrentVersionExpirationInDays', 'NoncurrentVersionTransition', 'NoncurrentVersionTransitions', 'ObjectSizeGreaterThan',
  'ObjectSizeLessThan', 'Prefix', 'Status', 'TagFilters', 'Transition', 'Transitions',
];

/** A rule's filter: one predicate alone, several under And, and with none, everything (an empty prefix). */
function filterOf(r: Obj, path: string): Obj {
  const tags = list(r.TagFilters, `${path}/TagFilters`).map((t, i) => {
    const tag = fields(t, ['Key', 'Value'], `${path}/TagFilters/${i}`);
    return { Key: tag.Key, Value: tag.Value };
  });
  const predicates = defined({ Prefix: r.Prefix, ObjectSizeGreaterThan: r.ObjectSizeGreaterThan, ObjectSizeLessThan: r.ObjectSizeLessThan });
  const count = Object.keys(predicates).length + tags.length;
  if (count === 0) return { Prefix: '' };
  if (count === 1) return tags.length ? { Tag: tags[0] } : predicates;
  return { And: defined({ ...predicates, Tags: nonEmpty(tags) }) };
}

function transitionOf(t: unknown, path: string, noncurrent: boolean): Obj {
  if (noncurrent) {
    const n = fields(t, ['StorageClass', 'TransitionInDays', 'NewerNoncurrentVersions'], path);
    return defined({ StorageClass: n.StorageClass, NoncurrentDays: n.TransitionInDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions });
  }
  const c = fields(t, ['StorageClass', 'TransitionDate', 'TransitionInDays'], path);
  return defined({ StorageClass: c.StorageClass, Date: c.TransitionDate, Days: c.TransitionInDays });
}

function ruleOf(rule: unknown, path: string): Obj {
  const r = fields(rule, RULE_KEYS, path);
  const expiration = defined({ Date: r.ExpirationDate, Days: r.ExpirationInDays, ExpiredObjectDeleteMarker: r.ExpiredObjectDeleteMarker });
  const transitions = [...(r.Transition === undefined ? [] : [r.Transition]), ...list(r.Transitions, `${path}/Transitions`)];
  const noncurrent = [...(r.NoncurrentVersionTransition === undefined ? [] : [r.NoncurrentVersionTransition]), ...list(r.NoncurrentVersionTransitions, `${path}/NoncurrentVersionTransitions`)];
  const nve = r.NoncurrentVersionExpiration === undefined ? undefined : fields(r.NoncurrentVersionExpiration, ['NoncurrentDays', 'NewerNoncurrentVersions'], `${path}/NoncurrentVersionExpiration`);
  const abort = r.AbortIncompleteMultipartUpload === undefined ? undefined : fields(r.AbortIncompleteMultipartUpload, ['DaysAfterInitiation'], `${path}/AbortIncompleteMultipartUpload`);
  return defined({
    ID: r.Id,
    Status: r.Status,
    Filter: filterOf(r, path),
    Expiration: Object.keys(expiration).length ? expiration : undefined,
    Transitions: nonEmpty(transitions.map((t, i) => transitionOf(t, `${path}/Transitions/${i}`, false))),
    NoncurrentVersionTransitions: nonEmpty(noncurrent.map((t, i) => transitionOf(t, `${path}/NoncurrentVersionTransitions/${i}`, true))),
    NoncurrentVersionExpiration: nve
      ? defined({ NoncurrentDays: nve.NoncurrentDays, NewerNoncurrentVersions: nve.NewerNoncurrentVersions })
      : r.NoncurrentVersionExpirationInDays === undefined ? undefined : { NoncurrentDays: r.NoncurrentVersionExpirationInDays },
    AbortIncompleteMultipartUpload: abort && { DaysAfterInitiation: abort.DaysAfterInitiation },
  });
}

const CONFIGURATIONS: Record<string, { put(value: unknown): BucketCall; remove: BucketCall }> = {
  LifecycleConfiguration: {
    put(value) {
      const c = fields(value, ['Rules', 'TransitionDefaultMinimumObjectSize'], '/LifecycleConfiguration');
      const rules = list(c.Rules, '/LifecycleConfiguration/Rules').map((r, i) => ruleOf(r, `/LifecycleConfiguration/Rules/${i}`));
      return { op: 'PutBucketLifecycleConfiguration', input: defined({ LifecycleConfiguration: { Rules: rules }, TransitionDefaultMinimumObjectSize: c.TransitionDefaultMinimumObjectSize }) };
    },
    remove: { op: 'DeleteBucketLifecycle', input: {} },
  },
  VersioningConfiguration: {
    put(value) {
      const c = fields(value, ['Status'], '/VersioningConfiguration');
      return { op: 'PutBucketVersioning', input: { VersioningConfiguration: { Status: c.Status } } };
    },
    // A bucket once versioned can only be suspended, never unversioned again.
    remove: { op: 'PutBucketVersioning', input: { VersioningConfiguration: { Status: 'Suspended' } } },
  },
  BucketEncryption: {
    put(value) {
      const c = fields(value, ['ServerSideEncryptionConfiguration'], '/BucketEncryption');
      const rules = list(c.ServerSideEncryptionConfiguration, '/BucketEncryption/ServerSideEncryptionConfiguration').map((rule, i) => {
        const path = `/BucketEncryption/ServerSideEncryptionConfiguration/${i}`;
        const r = fields(rule, ['BucketKeyEnabled', 'ServerSideEncryptionByDefault'], path);
        const d = r.ServerSideEncryptionByDefault === undefined ? undefined : fields(r.ServerSideEncryptionByDefault, ['KMSMasterKeyID', 'SSEAlgorithm'], `${path}/ServerSideEncryptionByDefault`);
        return defined({ ApplyServerSideEncryptionByDefault: d && defined({ SSEAlgorithm: d.SSEAlgorithm, KMSMasterKeyID: d.KMSMasterKeyID }), BucketKeyEnabled: r.BucketKeyEnabled });
      });
      return { op: 'PutBucketEncryption', input: { ServerSideEncryptionConfiguration: { Rules: rules } } };
    },
    remove: { op: 'DeleteBucketEncryption', input: {} },
  },
  PublicAccessBlockConfiguration: {
    put(value) {
      const c = fields(value, ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'], '/PublicAccessBlockConfiguration');
      return { op: 'PutPublicAccessBlock', input: { PublicAccessBlockConfiguration: defined({ ...c }) } };
    },
    remove: { op: 'DeletePublicAccessBlock', input: {} },
  },
  OwnershipControls: {
    put(value) {
      const c = fields(value, ['Rules'], '/OwnershipControls');
      const rules = list(c.Rules, '/OwnershipControls/Rules').map((r, i) => ({ ObjectOwnership: fields(r, ['ObjectOwnership'], `/OwnershipControls/Rules/${i}`).ObjectOwnership }));
      return { op: 'PutBucketOwnershipControls', input: { OwnershipControls: { Rules: rules } } };
    },
    remove: { op: 'DeleteBucketOwnershipControls', input: {} },
  },
};

/** The configuration properties this module serves. */
export const CONFIGURATION_PROPERTIES = Object.keys(CONFIGURATIONS);

/**
 * The calls that bring a bucket's configurations from `old` to `props`, for the properties named in
 * `names`: a Put for each one present, the removal for each one that went.
 */
export function configurationCalls(props: Obj, old: Obj, names: string[]): BucketCall[] {
  return CONFIGURATION_PROPERTIES.filter((p) => names.includes(p)).flatMap((p) => {
    if (props[p] !== undefined) return [CONFIGURATIONS[p].put(props[p])];
    return old[p] !== undefined ? [CONFIGURATIONS[p].remove] : [];
  });
}
