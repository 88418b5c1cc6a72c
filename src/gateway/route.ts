/**
 * Picks the service and protocol for a request, and the account and region it acts in, in the
 * order AWS's own front ends can: the SigV4 credential scope, then X-Amz-Target, then the Query
 * Action, then S3's path or host.
 */
import type { Protocol, WireRequest } from '../protocols/protocol.ts';
import type { Service } from '../services/service.ts';

export interface Route {
  service: Service;
  protocol: Protocol;
  accessKeyId?: string;
  region?: string;
}

export interface Credential {
  accessKeyId: string;
  region: string;
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

export function credentialOf(req: WireRequest): Credential | undefined {
  const auth = req.headers['authorization'] ?? '';
  let m = CREDENTIAL.exec(auth);
  if (!m) {
    const q = req.query.get('X-Amz-Credential');
    if (q) m = /^([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/.exec(q);
  }
  if (m) return { accessKeyId: m[1], region: m[2], service: m[3] };
  // SigV2-style presigned S3 URLs and old clients.
  const v2 = /^AWS ([^:]+):/.exec(auth);
  const key = v2?.[1] ?? req.query.get('AWSAccessKeyId') ?? undefined;
  return key ? { accessKeyId: key, region: '', service: '' } : undefined;
}

export function route(req: WireRequest, services: readonly Service[]): Route | undefined {
  const cred = credentialOf(req);
  const bySigning = cred?.service ? services.find((s) => s.signingName === cred.service) : undefined;
  const target = req.headers['x-amz-target'];
  const service =
    bySigning ??
    (target ? services.find((s) => s.model.metadata.targetPrefix && target.startsWith(s.model.metadata.targetPrefix + '.')) : undefined) ??
    byAction(req, services) ??
    services.find((s) => s.signingName === 's3');
  if (!service) return undefined;
  return { service, protocol: protocolFor(service, req), accessKeyId: cred?.accessKeyId, region: cred?.region || undefined };
}

function byAction(req: WireRequest, services: readonly Service[]): Service | undefined {
  const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const action = req.query.get('Action') ?? (form ? new URLSearchParams(req.body.toString('utf8')).get('Action') : null);
  if (!action) return undefined;
  return services.find((s) => Object.hasOwn(s.model.operations, action) && s.protocols.some((p) => p.name === 'query' || p.name === 'ec2'));
}

/** A service that speaks several protocols (CloudWatch) is told apart by its headers. */
function protocolFor(service: Service, req: WireRequest): Protocol {
  if (service.protocols.length === 1) return service.protocols[0];
  const pick = (name: string) => service.protocols.find((p) => p.name === name);
  if (req.headers['smithy-protocol'] === 'rpc-v2-cbor') return pick('smithy-rpc-v2-cbor') ?? service.protocols[0];
  if (req.headers['x-amz-target']) return pick('json') ?? service.protocols[0];
  return pick('query') ?? service.protocols[0];
}
