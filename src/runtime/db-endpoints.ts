/**
 * RDS's endpoints inside the VPCs (sandbox driver): a DB instance whose engine runs is reached
 * from its VPC at the private address of its interface (services/rds/network-interface.ts), as
 * on AWS, where the endpoint's name answers that address inside the VPC.
 *  - The VPC's agent listens on the address and the endpoint's port (its address on the
 *    router's bridge, vpc-network.ts) and hands each connection to faultline, which connects it
 *    to the engine's endpoint address on the host (db-engines.ts) and pipes the two: the engine's
 *    jail stays as it is, and an instance reaches that one port of that one engine, nothing else
 *    of the host.
 *  - The instance's VPC security groups decide who connects, as for any interface: the router's
 *    nftables drop what no ingress rule of theirs admits (a client sees a timeout, as on AWS), and
 *    its subnet's network ACL applies (network-acls.ts).
 * Endpoints are served only while the engine should run: otherwise the address refuses, as a
 * failing-over endpoint does until its name moves.
 */
import { connect, type Socket } from 'node:net';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { COLL, type DBInstanceRecord } from '../services/rds/state.ts';
import type { Interface } from './firewall.ts';

/** One DB instance's endpoint inside its VPC. */
export interface DbEndpoint {
  scope: Scope;
  vpcId: string;
  subnetId: string;
  /** The private address of its interface, where clients in the VPC connect. */
  ip: string;
  port: number;
  /** The engine's address on the host (the endpoint address), at the same port. */
  engineIp: string;
  /** Its interface's groups, for the router's rules. */
  eni: Interface;
}

/** The endpoints that should be served now, from the DB instance records. */
export function readDbEndpoints(env: Env): DbEndpoint[] {
  const out: DbEndpoint[] = [];
  for (const [scope, i] of env.store.scan<DBInstanceRecord>(COLL.instances)) {
    const n = i.networkInterface;
    if (!n || !i.engine?.running || !i.endpointIp || !i.Endpoint?.Port) continue;
    out.push({
      scope, vpcId: n.vpcId, subnetId: n.subnetId, ip: n.privateIp, port: i.Endpoint.Port, engineIp: i.endpointIp,
      eni: { VpcId: n.vpcId, Groups: i.VpcSecurityGroups.map((g) => ({ GroupId: g.VpcSecurityGroupId })) },
    });
  }
  return out;
}

/**
 * The router's rules for a VPC's endpoints (an nftables table, added to the router's ruleset):
 * each endpoint address admits what its groups' ingress rules admit (`accepts` renders them,
 * firewall.ts), and replies, and drops the rest.
 */
export function endpointRules(endpoints: readonly DbEndpoint[], accepts: (scope: Scope, eni: Interface) => string[]): string {
  if (!endpoints.length) return '';
  const chains = endpoints.flatMap((e, n) => [
    `  chain ep${n} {`,
    '    ct state established,related accept',
    ...accepts(e.scope, e.eni).map((l) => `    ${l}`),
    '    drop',
    '  }',
  ]);
  return [
    'table ip faultline_rds {',
    ...chains,
    '  chain input {',
    '    type filter hook input priority 10; policy accept;',
    ...endpoints.map((e, n) => `    ip daddr ${e.ip} jump ep${n}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Connects the connections that the VPCs' agents accepted on endpoints to their engines. */
export class DbEndpointRelay {
  /** `vpcId|ip:port` → the engine's address, as of the latest pass. */
  private routes = new Map<string, string>();

  sync(endpoints: readonly DbEndpoint[]): void {
    this.routes = new Map(endpoints.map((e) => [`${e.vpcId}|${e.ip}:${e.port}`, e.engineIp]));
  }

  /** Pipes a client's connection (paused) to the engine behind the endpoint it reached; ends it when there is none. */
  accept(vpcId: string, client: Socket, ip: string | undefined, port: number | undefined): void {
    const engineIp = this.routes.get(`${vpcId}|${ip}:${port}`);
    client.on('error', () => client.destroy());
    if (!engineIp || !port) return void client.destroy();
    const engine = connect({ host: engineIp, port });
    engine.on('error', () => client.destroy());
    client.on('close', () => engine.destroy());
    engine.on('close', () => client.destroy());
    engine.once('connect', () => {
      client.pipe(engine);
      engine.pipe(client);
      client.resume();
    });
  }
}
