#!/usr/bin/env python3
"""Generates faultline's API models from the botocore service definitions on this machine.

Each model keeps the metadata, the operations faultline serves and every shape they reach,
with the documentation stripped. The output in src/models/ is committed and never hand-edited:
change OPERATIONS here and run `npm run models`.
"""
import gzip
import json
import os
import sys

import botocore

DATA = os.path.join(os.path.dirname(botocore.__file__), 'data')
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'models')

OPERATIONS = {
    'ec2': '''
        DescribeRegions DescribeAvailabilityZones DescribeAccountAttributes
        CreateVpc DeleteVpc DescribeVpcs ModifyVpcAttribute DescribeVpcAttribute CreateDefaultVpc CreateDefaultSubnet
        CreateSubnet DeleteSubnet DescribeSubnets ModifySubnetAttribute
        CreateInternetGateway DeleteInternetGateway DescribeInternetGateways AttachInternetGateway DetachInternetGateway
        CreateRouteTable DeleteRouteTable DescribeRouteTables CreateRoute DeleteRoute ReplaceRoute
        AssociateRouteTable DisassociateRouteTable ReplaceRouteTableAssociation
        CreateNetworkAcl DeleteNetworkAcl DescribeNetworkAcls CreateNetworkAclEntry DeleteNetworkAclEntry
        ReplaceNetworkAclEntry ReplaceNetworkAclAssociation
        CreateSecurityGroup DeleteSecurityGroup DescribeSecurityGroups DescribeSecurityGroupRules
        AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress RevokeSecurityGroupEgress
        CreateKeyPair ImportKeyPair DeleteKeyPair DescribeKeyPairs
        CreateTags DeleteTags DescribeTags
        RunInstances DescribeInstances DescribeInstanceStatus StartInstances StopInstances RebootInstances
        TerminateInstances GetConsoleOutput DescribeInstanceAttribute ModifyInstanceAttribute
        DescribeInstanceTypes DescribeInstanceTypeOfferings DescribeInstanceCreditSpecifications ModifyInstanceMaintenanceOptions
        DescribeNetworkInterfaces
        CreateVolume DeleteVolume DescribeVolumes DescribeVolumeStatus AttachVolume DetachVolume
        CreateSnapshot DeleteSnapshot DescribeSnapshots
        CreateImage RegisterImage DeregisterImage DescribeImages
        AllocateAddress AssociateAddress DisassociateAddress ReleaseAddress DescribeAddresses
        CreateLaunchTemplate CreateLaunchTemplateVersion DescribeLaunchTemplates DescribeLaunchTemplateVersions
        DeleteLaunchTemplate ModifyLaunchTemplate
        CreatePlacementGroup DeletePlacementGroup DescribePlacementGroups ModifyInstancePlacement
        AllocateHosts ReleaseHosts DescribeHosts ModifyHosts
        RequestSpotInstances DescribeSpotInstanceRequests CancelSpotInstanceRequests DescribeSpotPriceHistory
        AssociateVpcCidrBlock DisassociateVpcCidrBlock AssociateSubnetCidrBlock DisassociateSubnetCidrBlock
        AssignIpv6Addresses UnassignIpv6Addresses
        CreateEgressOnlyInternetGateway DeleteEgressOnlyInternetGateway DescribeEgressOnlyInternetGateways
        CreateDhcpOptions DeleteDhcpOptions DescribeDhcpOptions AssociateDhcpOptions
        CreateVpcEndpoint DeleteVpcEndpoints DescribeVpcEndpoints ModifyVpcEndpoint DescribeVpcEndpointServices
        CreateCustomerGateway DeleteCustomerGateway DescribeCustomerGateways
        CreateVpnGateway DeleteVpnGateway DescribeVpnGateways AttachVpnGateway DetachVpnGateway
        CreateVpnConnection DeleteVpnConnection DescribeVpnConnections
        CreateVpcPeeringConnection AcceptVpcPeeringConnection RejectVpcPeeringConnection
        DeleteVpcPeeringConnection DescribeVpcPeeringConnections ModifyVpcPeeringConnectionOptions
        CreateNatGateway DeleteNatGateway DescribeNatGateways
        CreateManagedPrefixList DeleteManagedPrefixList DescribeManagedPrefixLists ModifyManagedPrefixList
        GetManagedPrefixListEntries GetManagedPrefixListAssociations DescribePrefixLists
    ''',
    'iam': '''
        CreateRole GetRole DeleteRole ListRoles UpdateAssumeRolePolicy TagRole UntagRole ListRoleTags
        PutRolePolicy GetRolePolicy DeleteRolePolicy ListRolePolicies
        AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies
        CreatePolicy GetPolicy DeletePolicy ListPolicies GetPolicyVersion ListPolicyVersions
        CreateInstanceProfile GetInstanceProfile DeleteInstanceProfile ListInstanceProfiles
        AddRoleToInstanceProfile RemoveRoleFromInstanceProfile ListInstanceProfilesForRole
        CreateUser GetUser DeleteUser ListUsers CreateAccessKey DeleteAccessKey ListAccessKeys
        PutUserPolicy GetUserPolicy DeleteUserPolicy ListUserPolicies
        AttachUserPolicy DetachUserPolicy ListAttachedUserPolicies
    ''',
    'sts': 'GetCallerIdentity AssumeRole',
    's3': '''
        ListBuckets CreateBucket DeleteBucket HeadBucket GetBucketLocation
        PutObject GetObject HeadObject DeleteObject DeleteObjects ListObjects ListObjectsV2
        PutBucketPolicy GetBucketPolicy DeleteBucketPolicy
        PutBucketAcl PutObjectAcl
        PutBucketLifecycleConfiguration GetBucketLifecycleConfiguration DeleteBucketLifecycle
        PutBucketVersioning GetBucketVersioning
        PutBucketEncryption GetBucketEncryption DeleteBucketEncryption
        PutPublicAccessBlock GetPublicAccessBlock DeletePublicAccessBlock
        PutBucketOwnershipControls GetBucketOwnershipControls DeleteBucketOwnershipControls
    ''',
    # CloudWatch signs as `monitoring`; botocore keeps its definition under data/cloudwatch.
    'cloudwatch': '''
        PutMetricData GetMetricStatistics GetMetricData ListMetrics
        PutMetricAlarm DescribeAlarms DescribeAlarmsForMetric DeleteAlarms SetAlarmState
        EnableAlarmActions DisableAlarmActions DescribeAlarmHistory
        TagResource UntagResource ListTagsForResource
        PutCompositeAlarm PutDashboard GetDashboard ListDashboards DeleteDashboards
    ''',
    'sns': '''
        CreateTopic DeleteTopic ListTopics GetTopicAttributes SetTopicAttributes
        Subscribe Unsubscribe ListSubscriptions ListSubscriptionsByTopic Publish
        TagResource ListTagsForResource
    ''',
    'cloudformation': '''
        CreateStack UpdateStack DeleteStack DescribeStacks DescribeStackEvents DescribeStackResource
        DescribeStackResources ListStacks ListStackResources GetTemplate GetTemplateSummary ValidateTemplate
        CreateChangeSet DescribeChangeSet ExecuteChangeSet DeleteChangeSet ListChangeSets
        CancelUpdateStack ContinueUpdateRollback SignalResource SetStackPolicy GetStackPolicy
        UpdateTerminationProtection ListExports ListImports
        CreateStackSet UpdateStackSet DeleteStackSet DescribeStackSet ListStackSets
        CreateStackInstances UpdateStackInstances DeleteStackInstances ListStackInstances DescribeStackInstance
        DescribeStackSetOperation ListStackSetOperations ListStackSetOperationResults StopStackSetOperation
    ''',
    # Auto Scaling speaks awsQuery and signs as `autoscaling`.
    'autoscaling': '''
        CreateLaunchConfiguration DeleteLaunchConfiguration DescribeLaunchConfigurations
        CreateAutoScalingGroup UpdateAutoScalingGroup DeleteAutoScalingGroup DescribeAutoScalingGroups
        DescribeAutoScalingInstances SetDesiredCapacity SetInstanceHealth SetInstanceProtection
        TerminateInstanceInAutoScalingGroup AttachInstances DetachInstances
        SuspendProcesses ResumeProcesses DescribeScalingActivities
        CreateOrUpdateTags DeleteTags DescribeTags
        PutScalingPolicy DeletePolicy DescribePolicies ExecutePolicy
        PutScheduledUpdateGroupAction BatchPutScheduledUpdateGroupAction DeleteScheduledAction
        BatchDeleteScheduledAction DescribeScheduledActions
        PutLifecycleHook DeleteLifecycleHook DescribeLifecycleHooks DescribeLifecycleHookTypes
        CompleteLifecycleAction RecordLifecycleActionHeartbeat
        DescribeAdjustmentTypes DescribeScalingProcessTypes DescribeTerminationPolicyTypes DescribeAccountLimits
        DescribeMetricCollectionTypes EnableMetricsCollection DisableMetricsCollection
        DescribeAutoScalingNotificationTypes DescribeNotificationConfigurations
        DescribeLoadBalancers DescribeLoadBalancerTargetGroups DescribeTrafficSources
        DescribeWarmPool DescribeInstanceRefreshes PutWarmPool DeleteWarmPool
        StartInstanceRefresh CancelInstanceRefresh RollbackInstanceRefresh
        AttachLoadBalancers DetachLoadBalancers AttachLoadBalancerTargetGroups DetachLoadBalancerTargetGroups
        AttachTrafficSources DetachTrafficSources
    ''',
    # Classic ELB and ELBv2 both speak awsQuery and sign as `elasticloadbalancing`; the gateway
    # tells them apart by the Query Version (2012-06-01 and 2015-12-01).
    'elb': '''
        CreateLoadBalancer DeleteLoadBalancer DescribeLoadBalancers DescribeAccountLimits
        CreateLoadBalancerListeners DeleteLoadBalancerListeners ConfigureHealthCheck
        RegisterInstancesWithLoadBalancer DeregisterInstancesFromLoadBalancer DescribeInstanceHealth
        EnableAvailabilityZonesForLoadBalancer DisableAvailabilityZonesForLoadBalancer
        AttachLoadBalancerToSubnets DetachLoadBalancerFromSubnets ApplySecurityGroupsToLoadBalancer
        DescribeLoadBalancerAttributes ModifyLoadBalancerAttributes
        DescribeLoadBalancerPolicies DescribeLoadBalancerPolicyTypes
        AddTags RemoveTags DescribeTags
    ''',
    'elbv2': '''
        CreateLoadBalancer DeleteLoadBalancer DescribeLoadBalancers DescribeAccountLimits
        DescribeLoadBalancerAttributes ModifyLoadBalancerAttributes SetSubnets SetSecurityGroups SetIpAddressType
        DescribeCapacityReservation
        CreateTargetGroup DeleteTargetGroup DescribeTargetGroups ModifyTargetGroup
        DescribeTargetGroupAttributes ModifyTargetGroupAttributes
        RegisterTargets DeregisterTargets DescribeTargetHealth
        CreateListener DeleteListener DescribeListeners ModifyListener
        DescribeListenerAttributes ModifyListenerAttributes DescribeListenerCertificates DescribeSSLPolicies
        CreateRule DeleteRule DescribeRules ModifyRule SetRulePriorities
        AddTags RemoveTags DescribeTags
    ''',
    # Route 53 speaks restXml, is global, and signs as `route53` in us-east-1.
    'route53': '''
        CreateHostedZone GetHostedZone ListHostedZones ListHostedZonesByName ListHostedZonesByVPC DeleteHostedZone
        UpdateHostedZoneComment GetHostedZoneCount AssociateVPCWithHostedZone DisassociateVPCFromHostedZone
        ChangeResourceRecordSets ListResourceRecordSets GetChange TestDNSAnswer
        CreateHealthCheck GetHealthCheck ListHealthChecks UpdateHealthCheck DeleteHealthCheck GetHealthCheckCount
        GetHealthCheckStatus GetHealthCheckLastFailureReason GetCheckerIpRanges
        ChangeTagsForResource ListTagsForResource ListTagsForResources
        GetAccountLimit GetHostedZoneLimit GetDNSSEC ListQueryLoggingConfigs
    ''',
    # RDS speaks awsQuery and signs as `rds`.
    'rds': '''
        CreateDBSubnetGroup DescribeDBSubnetGroups ModifyDBSubnetGroup DeleteDBSubnetGroup
        CreateDBInstance DescribeDBInstances ModifyDBInstance RebootDBInstance DeleteDBInstance
        StartDBInstance StopDBInstance RestoreDBInstanceToPointInTime RestoreDBInstanceFromDBSnapshot
        DescribeDBInstanceAutomatedBackups
        CreateDBSnapshot DescribeDBSnapshots DeleteDBSnapshot CopyDBSnapshot
        CreateDBParameterGroup DescribeDBParameterGroups DeleteDBParameterGroup ModifyDBParameterGroup
        DescribeDBParameters ResetDBParameterGroup
        DescribeEvents DescribeEventCategories
        AddTagsToResource RemoveTagsFromResource ListTagsForResource
        DescribeOrderableDBInstanceOptions DescribeDBEngineVersions DescribeAccountAttributes
    ''',
    # Systems Manager's Parameter Store speaks awsJson1_1 and signs as `ssm`.
    'ssm': '''
        PutParameter GetParameter GetParameters GetParametersByPath DeleteParameter DeleteParameters
        DescribeParameters GetParameterHistory LabelParameterVersion UnlabelParameterVersion
        AddTagsToResource RemoveTagsFromResource ListTagsForResource
    ''',
    # ECR speaks awsJson1_1 and signs as `ecr`: repositories and their policies, no image layers.
    'ecr': '''
        CreateRepository DescribeRepositories DeleteRepository
        PutLifecyclePolicy GetLifecyclePolicy DeleteLifecyclePolicy
        SetRepositoryPolicy GetRepositoryPolicy DeleteRepositoryPolicy
        PutImageTagMutability PutImageScanningConfiguration
        TagResource UntagResource ListTagsForResource
        DescribeImages ListImages BatchDeleteImage GetAuthorizationToken
    ''',
    # KMS speaks awsJson1_1 and signs as `kms`.
    'kms': '''
        CreateKey DescribeKey ListKeys EnableKey DisableKey ScheduleKeyDeletion CancelKeyDeletion
        UpdateKeyDescription GetKeyPolicy PutKeyPolicy ListKeyPolicies
        EnableKeyRotation DisableKeyRotation GetKeyRotationStatus
        CreateAlias DeleteAlias UpdateAlias ListAliases
        Encrypt Decrypt GenerateDataKey GenerateDataKeyWithoutPlaintext ReEncrypt GenerateRandom
        TagResource UntagResource ListResourceTags
    ''',
    # AWS FIS speaks restJson1 and signs as `fis`.
    'fis': '''
        CreateExperimentTemplate GetExperimentTemplate ListExperimentTemplates UpdateExperimentTemplate
        DeleteExperimentTemplate StartExperiment GetExperiment ListExperiments StopExperiment
        ListExperimentResolvedTargets ListActions GetAction ListTargetResourceTypes GetTargetResourceType
        TagResource UntagResource ListTagsForResource
    ''',
}


def latest(service):
    base = os.path.join(DATA, service)
    version = sorted(os.listdir(base))[-1]
    with gzip.open(os.path.join(base, version, 'service-2.json.gz')) as f:
        return json.load(f)


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in ('documentation', 'documentationUrl', 'examples')}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def reachable(model, operations):
    shapes = model['shapes']
    seen = set()
    todo = []
    for op in operations:
        o = model['operations'][op]
        for key in ('input', 'output'):
            if key in o:
                todo.append(o[key]['shape'])
        todo += [e['shape'] for e in o.get('errors', [])]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        s = shapes[name]
        for ref in list(s.get('members', {}).values()) + [s.get('member'), s.get('key'), s.get('value')]:
            if ref:
                todo.append(ref['shape'])
    return seen


def main():
    os.makedirs(OUT, exist_ok=True)
    for service, ops in OPERATIONS.items():
        model = latest(service)
        names = ops.split()
        missing = [n for n in names if n not in model['operations']]
        if missing:
            sys.exit(f'{service}: unknown operations {missing}')
        shapes = reachable(model, names)
        out = {
            'generatedFrom': f'botocore {botocore.__version__}, data/{service}',
            'metadata': model['metadata'],
            'operations': {n: strip_docs(model['operations'][n]) for n in sorted(names)},
            'shapes': {n: strip_docs(model['shapes'][n]) for n in sorted(shapes)},
        }
        with open(os.path.join(OUT, f'{service}.json'), 'w') as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write('\n')
        print(f'{service}: {len(names)} operations, {len(shapes)} shapes')


if __name__ == '__main__':
    main()
