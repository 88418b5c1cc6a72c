/**
 * CloudFormation's AWS::ECR::Repository, through ECR's own operations, as the CDK bootstrap
 * template declares it: a name (generated in lower case when not given), tag mutability, scanning
 * and encryption settings, a lifecycle policy, a repository policy (an object or JSON text) and
 * tags. Ref is the name; GetAtt gives Arn and RepositoryUri. Everything but the name and the
 * encryption (which replace) changes in place. EmptyOnDelete is accepted: a repository here never
 * holds images, so deletion always succeeds.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, policyText, tagsOf } from '../../cloudformation/handler-kit.ts';
import { DONE, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { ecr } from './index.ts';
import { COLL, type RepositoryRecord } from './state.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (rc: ResourceContext, op: string, input: Record<string, unknown>): any => callService(ecr, op, input, rc.request);

type Filter = { ImageTagMutabilityExclusionFilterType: string; ImageTagMutabilityExclusionFilterValue: string };
const filtersOf = (v: unknown) => (Array.isArray(v) ? (v as Filter[]).map((f) => ({ filterType: f.ImageTagMutabilityExclusionFilterType, filter: f.ImageTagMutabilityExclusionFilterValue })) : undefined);
const scanningOf = (v: unknown) => ({ scanOnPush: bool((v as { ScanOnPush?: unknown } | undefined)?.ScanOnPush) ?? false });
const lifecycleOf = (p: Props) => (p.LifecyclePolicy as { LifecyclePolicyText?: unknown } | undefined)?.LifecyclePolicyText;

function putLifecycle(rc: ResourceContext, name: string, text: unknown, had: boolean): void {
  if (text !== undefined) call(rc, 'PutLifecyclePolicy', { repositoryName: name, lifecyclePolicyText: String(text) });
  else if (had) call(rc, 'DeleteLifecyclePolicy', { repositoryName: name });
}

function putPolicy(rc: ResourceContext, name: string, policy: unknown, had: boolean): void {
  if (policy !== undefined) call(rc, 'SetRepositoryPolicy', { repositoryName: name, policyText: policyText(policy) });
  else if (had) call(rc, 'DeleteRepositoryPolicy', { repositoryName: name });
}

const repositoryResource: ResourceHandler = {
  type: 'AWS::ECR::Repository',
  create(props, rc) {
    const name = props.RepositoryName !== undefined ? String(props.RepositoryName) : rc.physicalName({ maxLength: 256, lowercase: true });
    const enc = props.EncryptionConfiguration as { EncryptionType?: string; KmsKey?: string } | undefined;
    const tags = tagsOf(props.Tags);
    call(rc, 'CreateRepository', {
      repositoryName: name,
      imageTagMutability: props.ImageTagMutability,
      imageTagMutabilityExclusionFilters: filtersOf(props.ImageTagMutabilityExclusionFilters),
      imageScanningConfiguration: scanningOf(props.ImageScanningConfiguration),
      encryptionConfiguration: enc && { encryptionType: enc.EncryptionType, kmsKey: enc.KmsKey },
      tags: tags.length ? tags : undefined,
    });
    putLifecycle(rc, name, lifecycleOf(props), false);
    putPolicy(rc, name, props.RepositoryPolicyText, false);
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    const name = old.physicalId;
    if (changed.includes('ImageTagMutability') || changed.includes('ImageTagMutabilityExclusionFilters')) {
      call(rc, 'PutImageTagMutability', { repositoryName: name, imageTagMutability: props.ImageTagMutability ?? 'MUTABLE', imageTagMutabilityExclusionFilters: filtersOf(props.ImageTagMutabilityExclusionFilters) });
    }
    if (changed.includes('ImageScanningConfiguration')) call(rc, 'PutImageScanningConfiguration', { repositoryName: name, imageScanningConfiguration: scanningOf(props.ImageScanningConfiguration) });
    if (changed.includes('LifecyclePolicy')) putLifecycle(rc, name, lifecycleOf(props), lifecycleOf(old.props) !== undefined);
    if (changed.includes('RepositoryPolicyText')) putPolicy(rc, name, props.RepositoryPolicyText, old.props.RepositoryPolicyText !== undefined);
    if (changed.includes('Tags')) {
      const arn = call(rc, 'DescribeRepositories', { repositoryNames: [name] }).repositories[0].repositoryArn;
      const keys = tagsOf(old.props.Tags).map((t) => t.Key);
      if (keys.length) call(rc, 'UntagResource', { resourceArn: arn, tagKeys: keys });
      if (tagsOf(props.Tags).length) call(rc, 'TagResource', { resourceArn: arn, tags: tagsOf(props.Tags) });
    }
  },
  delete(s, rc) {
    try {
      call(rc, 'DeleteRepository', { repositoryName: s.physicalId, force: bool(s.props.EmptyOnDelete) ?? false });
    } catch (e) {
      if (!(e instanceof AwsError && e.code === 'RepositoryNotFoundException')) throw e;
    }
    return DONE;
  },
  getAtt(s, name, rc) {
    const r = rc.env.store.get<RepositoryRecord>(COLL.repositories, rc.request, s.physicalId);
    if (!r) throw new AwsError('NotFound', `Repository ${s.physicalId} no longer exists`);
    return attribute({ Arn: () => r.repositoryArn, RepositoryUri: () => r.repositoryUri }, name, r);
  },
};

export const ecrResources: ResourceHandler[] = [repositoryResource];
