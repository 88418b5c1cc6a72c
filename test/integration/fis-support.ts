/** What the FIS tests share: a VPC with a subnet in each of two zones, and instances launched into them, through boto3. */
import type { Faultline } from '../harness.ts';

export const AMI = 'ami-1ecae776';
export const ROLE_ARN = 'arn:aws:iam::000000000000:role/fis-experiments';

export interface FisWorld {
  vpc: string;
  subnets: { a: string; b: string };
  /** Instance ids by zone letter. */
  instances: { a: string[]; b: string[] };
}

/** Makes the network and launches `perZone` instances in each zone, tagged `Name=<zone letter>-<n>`, then lets them reach `running`. */
export async function fisWorld(fl: Faultline, perZone: number): Promise<FisWorld> {
  const world = await fl.python(`
import boto3, json, os
ec2 = boto3.client('ec2', endpoint_url=os.environ['FAULTLINE_URL'])
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
out = {'vpc': vpc, 'subnets': {}, 'instances': {}}
for i, z in enumerate(['a', 'b']):
    s = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{i + 1}.0/24', AvailabilityZone='us-east-1' + z)['Subnet']['SubnetId']
    ec2.create_tags(Resources=[s], Tags=[{'Key': 'Zone', 'Value': z}])
    out['subnets'][z] = s
    ids = []
    for n in range(${perZone}):
        r = ec2.run_instances(ImageId='${AMI}', InstanceType='t3.micro', MinCount=1, MaxCount=1, SubnetId=s,
            TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': f'{z}-{n}'}, {'Key': 'Zone', 'Value': z}]}])
        ids.append(r['Instances'][0]['InstanceId'])
    out['instances'][z] = ids
print(json.dumps(out))
`);
  fl.advance(60);
  return world as FisWorld;
}
