/**
 * Picks the service and protocol for a request, and the account and region it acts in, in the
 * order AWS's own front ends can: the SigV4 credential scope, then X-Amz-Target, then the Query
 * Action, then S3's path or host. A request signed for a service faultline does not serve, or
 * naming one by its X-Amz-Target, is routed to none: it is answered as unserved.
 */
import type { Protocol, WireRequest } from '../protocols/protocol.ts';
import type { Service } from '../services/service.ts';
import { unservedApi, unservedByTarget, type ApiHints, type UnservedService } from './unserved.ts';

export interface Route {
  service: Service;
  protocol: Protocol;
  accessKeyId?: string;
  region?: string;
}

/** A request for an API faultline does not serve, and what it said about the API. */
export interface Unserved {
  unserved: UnservedService;
  hints: ApiHints;
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

export function route(req: WireRequest, services: readonly Service[]): Route | Unserved | undefined {
  const cred = credentialOf(req);
  const params = queryParams(req);
  const target = req.headers['x-amz-target'];
  const hints: ApiHints = { target, version: params.get('Version') ?? undefined, action: params.has('Action') };
  const found = (service: Service): Route => ({ service, protocol: protocolFor(service, req), accessKeyId: cred?.accessKeyId, region: cred?.region || undefined });
  if (cred?.service) {
    // ELB and ELBv2 share a signing name: the Query Version says which one is meant.
    const candidates = services.filter((s) => s.signingName === cred.service);
    const signedFor = candidates.find((s) => s.model.metadata.apiVersion === hints.version) ?? candidates[0];
    const unserved = unservedApi(cred.service, signedFor?.model, hints);
    if (unserved) return { unserved, hints };
    return found(signedFor!);
  }
  const byTarget = target ? services.find((s) => s.model.metadata.targetPrefix && target.startsWith(s.model.metadata.targetPrefix + '.')) : undefined;
  const service = byTarget ?? byAction(params.get('Action'), params.get('Version'), services);
  if (service) return found(service);
  const unserved = target ? unservedByTarget(target, services) : undefined;
  if (unserved) return { unserved, hints };
  const s3 = services.find((s) => s.signingName === 's3');
  return s3 && found(s3);
}

/** The Query protocol's parameters: the query string, and a form-encoded POST body (never an S3 upload's). */
function queryParams(req: WireRequest): URLSearchParams {
  const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  if (!form || req.method !== 'POST' || !req.body.length) return req.query;
  const params = new URLSearchParams(req.query);
  for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
  return params;
}

function byAction(action: string | null, version: string | null, services: readonly Service[]): Service | undefined {
  if (!action) return undefined;
  const query = services.filter((s) => Object.hasOwn(s.model.operations, action) && s.protocols.some((p) => p.name === 'query' || p.name === 'ec2'));
  return query.find((s) => s.model.metadata.apiVersion === version) ?? query[0];
}

/** A service that speaks several protocols (CloudWatch) is told apart by its headers. */
function protocolFor(service: Service, req: WireRequest): Protocol {
  if (service.protocols.length === 1) return service.protocols[0];
  const pick = (name: string) => service.protocols.find((p) => p.name === name);
  if (req.headers['smithy-protocol'] === 'rpc-v2-cbor') return pick('smithy-rpc-v2-cbor') ?? service.protocols[0];
  if (req.headers['x-amz-target']) return pick('json') ?? service.protocols[0];
  return pick('query') ?? service.protocols[0];
}
