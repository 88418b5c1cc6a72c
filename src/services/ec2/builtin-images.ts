/**
 * Amazon's public images, built in and read-only: the Amazon Linux AMIs that the seed templates
 * name in their region maps (amzn-ami-hvm-2015.09.1, one id per region), and a current Amazon
 * Linux 2023 and Amazon Linux 2 image per configured region, which DescribeImages finds with
 * Owners=amazon and a name filter as Terraform's `aws_ami` data source asks. Each is EBS-backed,
 * HVM, x86_64, with its root on a built-in snapshot.
 *
 * Any other AMI id that is neither built in nor registered in the account fails with
 * InvalidAMIID.NotFound, as AWS answers for an id that does not exist in the region; faultline
 * deliberately does not invent images for unknown ids, so that a wrong id in a template fails
 * here as it would on AWS.
 */
import { createHash } from 'node:crypto';
import type { ImageRecord, SnapshotRecord } from './state.ts';

/** Amazon's account id for its Amazon Linux images. */
export const AMAZON_OWNER_ID = '137112412989';

/** The seed templates' `AmazonLinuxAMIHVMEBSBacked64bit` map (amzn-ami-hvm-2015.09.1.x86_64-gp2). */
const LEGACY_AMIS: Record<string, string> = {
  'ap-northeast-1': 'ami-cbf90ecb',
  'ap-southeast-1': 'ami-68d8e93a',
  'ap-southeast-2': 'ami-fd9cecc7',
  'eu-central-1': 'ami-a8221fb5',
  'eu-west-1': 'ami-a10897d6',
  'sa-east-1': 'ami-b52890a8',
  'us-east-1': 'ami-1ecae776',
  'us-west-1': 'ami-d114f295',
  'us-west-2': 'ami-e7527ed7',
};

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

interface Template {
  name: string;
  description: string;
  creationDate: string;
  sizeGiB: number;
  id: (region: string) => string | undefined;
  bootMode?: string;
}

const TEMPLATES: Template[] = [
  {
    name: 'amzn-ami-hvm-2015.09.1.x86_64-gp2',
    description: 'Amazon Linux AMI 2015.09.1 x86_64 HVM GP2',
    creationDate: '2015-10-29T18:16:51.000Z',
    sizeGiB: 8,
    id: (region) => LEGACY_AMIS[region],
  },
  {
    name: 'amzn2-ami-hvm-2.0.20241217.0-x86_64-gp2',
    description: 'Amazon Linux 2 AMI 2.0.20241217.0 x86_64 HVM gp2',
    creationDate: '2024-12-17T21:13:05.000Z',
    sizeGiB: 8,
    id: (region) => `ami-0${hex(`amzn2/${region}`, 16)}`,
  },
  {
    name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64',
    description: 'Amazon Linux 2023 AMI 2023.6.20241212.0 x86_64 HVM kernel-6.1',
    creationDate: '2024-12-12T20:25:43.000Z',
    sizeGiB: 8,
    id: (region) => `ami-0${hex(`al2023/${region}`, 16)}`,
    bootMode: 'uefi-preferred',
  },
];

const snapshotIdFor = (imageId: string, region: string) => `snap-0${hex(`${region}/${imageId}/root`, 16)}`;

function build(t: Template, region: string): ImageRecord | undefined {
  const id = t.id(region);
  if (!id) return undefined;
  return {
    ImageId: id,
    ImageLocation: `amazon/${t.name}`,
    State: 'available',
    OwnerId: AMAZON_OWNER_ID,
    ImageOwnerAlias: 'amazon',
    CreationDate: t.creationDate,
    Public: true,
    Architecture: 'x86_64',
    ImageType: 'machine',
    Name: t.name,
    Description: t.description,
    RootDeviceType: 'ebs',
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [
      { DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, SnapshotId: snapshotIdFor(id, region), VolumeSize: t.sizeGiB, VolumeType: t.name.startsWith('al2023') ? 'gp3' : 'gp2', Encrypted: false } },
    ],
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    EnaSupport: true,
    SriovNetSupport: 'simple',
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    BootMode: t.bootMode,
    Tags: [],
    readyAt: 0,
  };
}

const cache = new Map<string, ImageRecord[]>();

/** Every built-in image of a region. */
export function builtinImages(region: string): readonly ImageRecord[] {
  let list = cache.get(region);
  if (!list) cache.set(region, (list = TEMPLATES.map((t) => build(t, region)).filter((i): i is ImageRecord => !!i)));
  return list;
}

export const builtinImage = (region: string, id: string): ImageRecord | undefined => builtinImages(region).find((i) => i.ImageId === id);

/** The root snapshots behind the built-in images, owned by Amazon and always completed. */
export function builtinSnapshots(region: string): SnapshotRecord[] {
  return builtinImages(region).map((img) => {
    const ebs = img.BlockDeviceMappings[0].Ebs!;
    return {
      SnapshotId: ebs.SnapshotId!,
      VolumeId: 'vol-ffffffff',
      State: 'completed',
      StartTime: img.CreationDate,
      CompletionTime: img.CreationDate,
      Progress: '100%',
      OwnerId: AMAZON_OWNER_ID,
      OwnerAlias: 'amazon',
      VolumeSize: ebs.VolumeSize,
      Description: `${img.Description} root volume`,
      Encrypted: false,
      StorageTier: 'standard',
      Tags: [],
      readyAt: 0,
    };
  });
}

export const builtinSnapshot = (region: string, id: string): SnapshotRecord | undefined => builtinSnapshots(region).find((s) => s.SnapshotId === id);
