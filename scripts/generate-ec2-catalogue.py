#!/usr/bin/env python3
"""Generates EC2's account catalogue: src/models/ec2-regions.json and src/models/ec2-instance-types.json.

    python3 scripts/generate-ec2-catalogue.py PATH-TO-A-GIT-CLONE-OF-getmoto/moto

Sources, named in the files themselves:
- Regions: the `aws` partition of botocore's endpoints.json on this machine (the regions with an
  EC2 endpoint). Opt-in status: AWS enables the Regions introduced before 20 March 2019 by default
  and makes every later one opt-in (AWS Account Management guide, "Enable or disable AWS Regions").
- AZ names and AZ IDs: moto's instance type offerings (moto/ec2/resources/instance_type_offerings/
  availability-zone and availability-zone-id), which moto records from AWS's own
  DescribeInstanceTypeOfferings in every region. AWS maps names to IDs per account in its oldest
  Regions; faultline's account maps them in order (a to the lowest AZ ID), which is AWS's uniform
  mapping in every newer Region. A Region that moto has not recorded yet gets a, b, c (az1-az3),
  AWS's minimum of three AZs.
- Instance types: every type in the InstanceType enumeration of src/models/ec2.json, with AWS's
  DescribeInstanceTypes answer for it as moto recorded it (moto/ec2/resources/instance_types.json,
  the newest version that has the type, so retired types keep their last published figures),
  pruned to the members of the model's InstanceTypeInfo. Four types were never recorded there;
  their figures come from AWS's instance type pages (HAND_ENTERED below).
- Offerings: moto's offerings per Region and per AZ ID, for the catalogue's types.
"""
import json
import os
import subprocess
import sys
from datetime import date

import botocore

ROOT = os.path.join(os.path.dirname(__file__), '..')
MODELS = os.path.join(ROOT, 'src', 'models')
BOTOCORE = os.path.join(os.path.dirname(botocore.__file__), 'data')
TYPES_PATH = 'moto/ec2/resources/instance_types.json'
OFFERINGS = 'moto/ec2/resources/instance_type_offerings'

# Enabled by default: the Regions introduced before 20 March 2019.
NO_OPT_IN = {
    'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1',
    'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1',
    'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1',
}

# Network performance codes of moto's oldest records (figures of the EC2 instance types pages of their time).
OLD_NETWORK = {4: 'Low to Moderate', 6: 'Moderate', 8: 'High', 10: 'Up to 10 Gigabit', 12: '10 Gigabit', 20: '25 Gigabit', 26: '100 Gigabit'}

# Types that moto never recorded: AWS's published vCPUs, memory (GiB), architecture, hypervisor,
# network performance, and generation.
HAND_ENTERED = {
    'cc1.4xlarge': (16, 23, 'x86_64', 'xen', '10 Gigabit', False),
    'u7ib-12tb.224xlarge': (896, 12288, 'x86_64', 'nitro', '200 Gigabit', True),
    'u7inh-32tb.480xlarge': (1920, 32768, 'x86_64', 'nitro', '200 Gigabit', True),
    'p6e-gb200.36xlarge': (144, 960, 'arm64', 'nitro', '1600 Gigabit', True),
}


# How AZ IDs shorten a Region's direction word (ap-southeast-2: apse2).
DIRECTIONS = {'north': 'n', 'south': 's', 'east': 'e', 'west': 'w', 'central': 'c', 'northeast': 'ne', 'southeast': 'se', 'northwest': 'nw', 'southwest': 'sw'}


def az_id_prefix(region):
    geo, direction, number = region.split('-')
    return geo + DIRECTIONS[direction] + number


def git(moto, *args):
    return subprocess.run(['git', '-C', moto, *args], capture_output=True, text=True, check=True).stdout


def prune(value, shape_name, shapes):
    """Keeps what the model's shape has: the members faultline's botocore knows."""
    shape = shapes[shape_name]
    if shape['type'] == 'structure':
        out = {}
        for name, member in shape['members'].items():
            if name in value:
                out[name] = prune(value[name], member['shape'], shapes)
        return out
    if shape['type'] == 'list':
        return [prune(v, shape['member']['shape'], shapes) for v in value]
    return value


def from_old_record(old):
    """moto's records before 2020 were ec2instances.info rows; the same facts in AWS's shape."""
    vcpus = 16 if old['apiname'] == 'hs1.8xlarge' else int(old['vcpus'])  # AWS lists 16; the row had 17
    metal = old['apiname'].endswith('.metal')
    return basic(old['apiname'], vcpus, old['memory'], 'x86_64', 'nitro' if metal else 'xen', OLD_NETWORK[int(old['network_perf'])], False, metal)


def basic(name, vcpus, mem_gib, arch, hypervisor, network, current, metal=False):
    threads = 1 if vcpus == 1 or arch == 'arm64' else 2
    info = {
        'InstanceType': name,
        'CurrentGeneration': current,
        'FreeTierEligible': False,
        'SupportedUsageClasses': ['on-demand'] if metal else ['on-demand', 'spot'],
        'SupportedRootDeviceTypes': ['ebs'],
        'SupportedVirtualizationTypes': ['hvm'],
        'BareMetal': metal,
        'ProcessorInfo': {'SupportedArchitectures': [arch]},
        'VCpuInfo': {'DefaultVCpus': vcpus, 'DefaultCores': vcpus // threads, 'DefaultThreadsPerCore': threads},
        'MemoryInfo': {'SizeInMiB': int(round(mem_gib * 1024))},
        'InstanceStorageSupported': False,
        'EbsInfo': {'EbsOptimizedSupport': 'default' if hypervisor == 'nitro' else 'unsupported', 'EncryptionSupport': 'supported', 'NvmeSupport': 'required' if hypervisor == 'nitro' else 'unsupported'},
        'NetworkInfo': {'NetworkPerformance': network, 'MaximumNetworkInterfaces': 15 if vcpus >= 64 else 8, 'MaximumNetworkCards': 1, 'DefaultNetworkCardIndex': 0,
                        'NetworkCards': [{'NetworkCardIndex': 0, 'NetworkPerformance': network, 'MaximumNetworkInterfaces': 15 if vcpus >= 64 else 8}],
                        'Ipv4AddressesPerInterface': 50 if vcpus >= 64 else 30, 'Ipv6AddressesPerInterface': 50 if vcpus >= 64 else 30, 'Ipv6Supported': hypervisor == 'nitro',
                        'EnaSupport': 'required' if hypervisor == 'nitro' else 'unsupported', 'EfaSupported': False, 'EncryptionInTransitSupported': False},
        'PlacementGroupInfo': {'SupportedStrategies': ['cluster', 'partition', 'spread']},
        'HibernationSupported': False,
        'BurstablePerformanceSupported': False,
        'DedicatedHostsSupported': False,
        'AutoRecoverySupported': False,
        'SupportedBootModes': ['uefi'] if arch == 'arm64' else ['legacy-bios'],
    }
    if hypervisor:
        info['Hypervisor'] = hypervisor
    return info


def instance_types(moto, enum, shapes):
    commits = [line.split() for line in git(moto, 'log', '--format=%H %cs', '--', TYPES_PATH).splitlines()]
    newest = commits[0]
    found, sources = {}, {}
    for sha, day in commits:
        if all(t in found or t in HAND_ENTERED for t in enum):
            break
        try:
            records = json.loads(git(moto, 'show', f'{sha}:{TYPES_PATH}'))
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            continue
        for t in enum:
            if t in found or t not in records:
                continue
            r = records[t]
            found[t] = r if 'InstanceType' in r else from_old_record(r)
            sources.setdefault(f'{sha[:12]} ({day})', []).append(t)
    for t, spec in HAND_ENTERED.items():
        if t not in found:
            found[t] = basic(t, *spec)
    missing = [t for t in enum if t not in found]
    if missing:
        sys.exit(f'no figures for {missing}')
    types = [prune(found[t], 'InstanceTypeInfo', shapes) for t in enum]
    older = {k: v for k, v in sources.items() if not k.startswith(newest[0][:12])}
    return types, newest, older


def offerings(moto, sha, location_type, region, names):
    try:
        rows = json.loads(git(moto, 'show', f'{sha}:{OFFERINGS}/{location_type}/{region}.json'))
    except subprocess.CalledProcessError:
        return None
    by_location = {}
    for row in rows:
        if row['InstanceType'] in names:
            by_location.setdefault(row['Location'], set()).add(row['InstanceType'])
    return by_location


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    moto = sys.argv[1]
    model = json.load(open(os.path.join(MODELS, 'ec2.json')))
    enum = model['shapes']['InstanceType']['enum']
    types, newest, older = instance_types(moto, enum, model['shapes'])
    index = {t['InstanceType']: i for i, t in enumerate(types)}
    sha = newest[0]

    endpoints = json.load(open(os.path.join(BOTOCORE, 'endpoints.json')))
    aws = next(p for p in endpoints['partitions'] if p['partition'] == 'aws')
    ec2_regions = sorted(r for r in aws['services']['ec2']['endpoints'] if r in aws['regions'])
    regions, offered = {}, {}
    for region in ec2_regions:
        by_zone = offerings(moto, sha, 'availability-zone', region, index)
        by_id = offerings(moto, sha, 'availability-zone-id', region, index)
        by_region = offerings(moto, sha, 'region', region, index)
        if by_zone and by_id:
            names, ids = sorted(by_zone), sorted(by_id, key=lambda z: int(z.rsplit('az', 1)[1]))
            zones = [[n[len(region):], i] for n, i in zip(names, ids)]
        else:
            zones = [[l, f'{az_id_prefix(region)}-az{n}'] for n, l in enumerate('abc', 1)]
        regions[region] = {'description': aws['regions'][region]['description'], 'optIn': region not in NO_OPT_IN, 'zones': zones}
        if by_region:
            in_region = by_region.get(region, set())
            # Types offered in the Region, by index; per AZ, the Region's types that the AZ lacks
            # (by AZ ID: the physical zone, whatever name moto's account gave it).
            offered[region] = {
                'region': sorted(index[t] for t in in_region),
                'zonesLack': {l: sorted(index[t] for t in in_region - by_id.get(az_id, set())) for l, az_id in zones},
            }

    today = date.today().isoformat()
    with open(os.path.join(MODELS, 'ec2-regions.json'), 'w') as f:
        json.dump({
            'source': f"botocore {botocore.__version__} endpoints.json (partition aws, EC2's regions); AZ names and IDs from moto's instance type offerings at {sha[:12]} ({newest[1]}), names mapped to IDs in order",
            'generated': today,
            'regions': regions,
        }, f, indent=1)
        f.write('\n')
    with open(os.path.join(MODELS, 'ec2-instance-types.json'), 'w') as f:
        json.dump({
            'source': f"AWS's DescribeInstanceTypes answers as recorded by moto (moto/ec2/resources/instance_types.json) at {sha[:12]} ({newest[1]}); retired types from older versions: {json.dumps(older)}; hand-entered from AWS's instance type pages: {sorted(HAND_ENTERED)}",
            'generated': today,
            'types': types,
            'offerings': offered,
        }, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(regions)} regions, {len(types)} instance types, offerings for {len(offered)} regions')


if __name__ == '__main__':
    main()
