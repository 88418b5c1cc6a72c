/**
 * The instance metadata service (IMDS) at http://169.254.169.254/, as spec section 9 describes:
 * IMDSv1 (plain GET while HttpTokens is optional) and IMDSv2 (PUT /latest/api/token, then the
 * token on each GET), listings ending in '/', 404 for unknown paths, user data, and the instance
 * profile's temporary credentials from STS (issueRoleSession), which the gateway then accepts
 * as that role. The server never listens itself: the VPC agent hands it connections, each
 * tagged with the VPC it came from, and the caller is the instance with that private address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { COLL, COMPUTE_COLL, type InstanceRecord, type NetworkInterfaceRecord } from '../services/ec2/state.ts';
import { roleOfInstanceProfile } from '../services/iam/lookup.ts';
import { issueRoleSession, type RoleSession } from '../services/sts/sessions.ts';
import { spotMetadata } from '../services/ec2/spot-interruptions.ts';

const MAX_TTL = 21600;

interface Caller {
  scope: Scope;
  inst: InstanceRecord;
}

/** The instance behind a private address in a VPC, across accounts and regions (VPC ids are unique). */
export function instanceAt(env: Env, vpcId: string, ip: string): Caller | undefined {
  for (const [scope, eni] of env.store.scan<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces)) {
    if (eni.VpcId !== vpcId || eni.PrivateIpAddress !== ip || !eni.Attachment) continue;
    const inst = env.store.get<InstanceRecord>(COLL.instances, scope, eni.Attachment.InstanceId);
    if (inst) return { scope, inst: inst as InstanceRecord };
  }
  return undefined;
}

export class MetadataServer {
  readonly server: Server;
  private tokens = new Map<string, { instanceId: string; expires: number }>();
  private creds = new Map<string, { role: string; session: RoleSession; issued: number }>();

  constructor(private env: Env) {
    this.server = createServer((req, res) => this.serve(req, res));
  }

  /** Serves one connection from an instance in `vpcId`. */
  accept(socket: Socket, vpcId: string, remoteAddress: string): void {
    (socket as Socket & { flVpc?: string; flIp?: string }).flVpc = vpcId;
    (socket as Socket & { flVpc?: string; flIp?: string }).flIp = remoteAddress.replace(/^::ffff:/, '');
    this.server.emit('connection', socket);
    socket.resume();
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const s = req.socket as Socket & { flVpc?: string; flIp?: string };
    const reply = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), server: 'EC2ws' });
      res.end(body);
    };
    const caller = s.flVpc && s.flIp ? instanceAt(this.env, s.flVpc, s.flIp) : undefined;
    if (!caller) return reply(404, 'Not Found');
    const out = this.answer(caller, req.method ?? 'GET', new URL(req.url ?? '/', 'http://169.254.169.254').pathname, req.headers);
    reply(out.status, out.body, out.type);
  }

  /** The answer to one request, as a pure function of the records (and the tokens issued). */
  answer(caller: Caller, method: string, path: string, headers: Record<string, string | string[] | undefined>): { status: number; body: string; type?: string } {
    const { inst, scope } = caller;
    const now = this.env.clock.now();
    if (inst.MetadataOptions.HttpEndpoint === 'disabled') return { status: 403, body: 'Forbidden' };
    if (path === '/latest/api/token') {
      if (method !== 'PUT') return { status: 405, body: 'Method Not Allowed' };
      if (headers['x-forwarded-for']) return { status: 403, body: 'Forbidden' };
      const ttl = Number(headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) return { status: 400, body: 'Bad Request' };
      const token = randomBytes(32).toString('base64');
      this.tokens.set(token, { instanceId: inst.InstanceId, expires: now + ttl * 1000 });
      return { status: 200, body: token };
    }
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: 'Method Not Allowed' };
    const tokenHeader = headers['x-aws-ec2-metadata-token'];
    if (tokenHeader !== undefined) {
      const t = this.tokens.get(String(tokenHeader));
      if (!t || t.instanceId !== inst.InstanceId || t.expires < now) return { status: 401, body: 'Unauthorized' };
    } else if (inst.MetadataOptions.HttpTokens === 'required') return { status: 401, body: 'Unauthorized' };

    if (path === '/' ) return { status: 200, body: 'latest' };
    if (path === '/latest' || path === '/latest/') return { status: 200, body: 'dynamic\nmeta-data\nuser-data' };
    if (path === '/latest/user-data') {
      if (!inst.userData) return { status: 404, body: 'Not Found' };
      return { status: 200, body: Buffer.from(inst.userData, 'base64').subarray(0, 16384).toString('utf8'), type: 'application/octet-stream' };
    }
    if (path === '/latest/dynamic/instance-identity/document') {
      return {
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ accountId: scope.account, architecture: inst.Architecture, availabilityZone: inst.Placement.AvailabilityZone, imageId: inst.ImageId, instanceId: inst.InstanceId, instanceType: inst.InstanceType, pendingTime: inst.LaunchTime, privateIp: inst.PrivateIpAddress, region: scope.region, version: '2017-09-30' }, null, 2),
      };
    }
    if (!path.startsWith('/latest/meta-data')) return { status: 404, body: 'Not Found' };
    const rel = path.slice('/latest/meta-data'.length).replace(/^\//, '');
    const tree = this.tree(caller);
    const node = rel === '' ? tree : lookup(tree, rel.replace(/\/$/, ''));
    if (node === undefined) return { status: 404, body: 'Not Found' };
    if (typeof node === 'string') return { status: 200, body: node, type: node.startsWith('{') ? 'text/plain' : 'text/plain' };
    // A directory lists its children, sub-directories with a trailing slash.
    return { status: 200, body: Object.entries(node).map(([k, v]) => (typeof v === 'string' ? k : `${k}/`)).join('\n') };
  }

  private tree(caller: Caller): Tree {
    const { inst, scope } = caller;
    const eni = inst.NetworkInterfaces[0];
    const macs: Tree = {};
    if (eni) {
      macs[eni.MacAddress] = {
        'device-number': '0',
        'interface-id': eni.NetworkInterfaceId,
        'local-ipv4s': eni.PrivateIpAddress,
        mac: eni.MacAddress,
        'subnet-id': eni.SubnetId,
        'vpc-id': eni.VpcId,
        'security-group-ids': eni.Groups.map((g) => g.GroupId).join('\n'),
        ...(eni.Association ? { 'public-ipv4s': eni.Association.PublicIp } : {}),
      };
    }
    const t: Tree = {
      'ami-id': inst.ImageId,
      'ami-launch-index': String(inst.AmiLaunchIndex),
      hostname: inst.PrivateDnsName,
      'local-hostname': inst.PrivateDnsName,
      'instance-id': inst.InstanceId,
      'instance-type': inst.InstanceType,
      'local-ipv4': inst.PrivateIpAddress ?? '',
      mac: eni?.MacAddress ?? '',
      placement: { 'availability-zone': inst.Placement.AvailabilityZone, region: scope.region },
      'security-groups': inst.SecurityGroups.map((g) => g.GroupName).join('\n'),
      network: { interfaces: { macs } },
      autoscaling: { 'target-lifecycle-state': 'InService' },
      // A spot instance being interrupted: its rebalance recommendation and interruption notice.
      ...spotMetadata(this.env, scope, inst),
    };
    if (inst.PublicIpAddress) {
      t['public-ipv4'] = inst.PublicIpAddress;
      if (inst.PublicDnsName) t['public-hostname'] = inst.PublicDnsName;
    }
    const profileArn = inst.IamInstanceProfile?.Arn;
    const role = profileArn ? roleOfInstanceProfile(this.env, scope.account, profileArn) : undefined;
    if (role && profileArn) {
      const session = this.session(caller, role.RoleName);
      t.iam = {
        info: JSON.stringify({ Code: 'Success', LastUpdated: iso(this.env.clock.now()), InstanceProfileArn: profileArn, InstanceProfileId: inst.IamInstanceProfile!.Id }, null, 2),
        'security-credentials': {
          [role.RoleName]: JSON.stringify(
            {
              Code: 'Success',
              LastUpdated: iso(session.issued),
              Type: 'AWS-HMAC',
              AccessKeyId: session.session.Credentials.AccessKeyId,
              SecretAccessKey: session.session.Credentials.SecretAccessKey,
              Token: session.session.Credentials.SessionToken,
              Expiration: session.session.Credentials.Expiration,
            },
            null,
            2,
          ),
        },
      };
    }
    return t;
  }

  /** The instance's role session, renewed (as EC2 does) when less than 15 minutes remain. */
  private session(caller: Caller, role: string) {
    const key = `${caller.scope.account}/${caller.inst.InstanceId}`;
    const now = this.env.clock.now();
    const have = this.creds.get(key);
    if (have && have.role === role && Date.parse(have.session.Credentials.Expiration) - now > 15 * 60_000) return have;
    const session = issueRoleSession(this.env, caller.scope.account, role, caller.inst.InstanceId, 6 * 3600);
    const fresh = { role, session, issued: now };
    this.creds.set(key, fresh);
    return fresh;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

type Tree = { [k: string]: string | Tree };

function lookup(t: Tree, rel: string): string | Tree | undefined {
  let node: string | Tree | undefined = t;
  for (const part of rel.split('/')) {
    if (typeof node !== 'object') return undefined;
    node = node[part];
  }
  return node;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
