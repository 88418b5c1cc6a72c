/**
 * Requests for services that faultline does not serve. A request signed for one (Lambda,
 * DynamoDB, SQS, classic ELB, ...) gets an error in that service's own wire protocol, so that
 * the client shows it, naming the service and saying faultline does not offer it, rather than
 * an answer from whichever served service its shape resembles.
 *
 * Which protocols a service speaks comes from botocore's definitions, through the generated
 * table src/models/service-protocols.json (scripts/generate-service-protocols.py). The table
 * lists every service; which ones faultline serves is decided here from the services it runs.
 *
 * The status is 400: the request is the caller's to change (point it at AWS), nothing is
 * wrong on the server, and SDKs retry 5xx answers (501 too), which would only repeat it.
 */
import { readGenerated } from '../models/index.ts';
import type { ServiceModel } from '../protocols/model.ts';
import type { WireRequest, WireResponse } from '../protocols/protocol.ts';
import { element, escapeXml, XML_DECL } from '../protocols/xml.ts';
import type { Service } from '../services/service.ts';

/** One API as botocore describes it. Several can share a signing name (ELB and ELBv2). */
export interface UnservedService {
  /** botocore's name for it, which is also the AWS CLI's command (`elbv2`, `dynamodb`). */
  id: string;
  name: string;
  protocols: string[];
  apiVersion?: string;
  targetPrefix?: string;
  jsonVersion?: string;
}

/** What a request says about the API it is for, besides its signing name. */
export interface ApiHints {
  /** The X-Amz-Target header. */
  target?: string;
  /** The Query protocol's Version parameter. */
  version?: string;
  /** Whether it carries a Query protocol Action. */
  action: boolean;
}

let table: Map<string, UnservedService[]> | undefined;

/** The table by signing name, read on first use: most faultlines never need it. */
function bySigningName(): Map<string, UnservedService[]> {
  return (table ??= new Map(Object.entries((readGenerated('service-protocols') as { services: Record<string, UnservedService[]> }).services)));
}

const apisSignedAs = (signingName: string): UnservedService[] => bySigningName().get(signingName) ?? [];

/** Whether the request names this API in particular, by its target prefix or its Query version. */
const names = (api: UnservedService, hints: ApiHints): boolean =>
  hints.target && api.targetPrefix
    ? hints.target.startsWith(api.targetPrefix + '.')
    : hints.version !== undefined && api.protocols.includes('query') && hints.version === api.apiVersion;

/** Whether the request names an API version or target prefix that is not the served model's. */
const namesOtherThan = (model: ServiceModel, hints: ApiHints): boolean =>
  hints.target && model.metadata.targetPrefix
    ? !hints.target.startsWith(model.metadata.targetPrefix + '.')
    : hints.action && hints.version !== undefined && hints.version !== model.metadata.apiVersion;

/**
 * The unserved API a request signed for `signingName` is meant for, or undefined when faultline
 * serves it. `served` is the model faultline serves under that name, if any: an API that shares
 * the name with it (classic ELB beside ELBv2) counts as meant only when the request names it.
 */
export function unservedApi(signingName: string, served: ServiceModel | undefined, hints: ApiHints): UnservedService | undefined {
  // The usual case, a request in the served API's own terms, needs no table.
  if (served && !namesOtherThan(served, hints)) return undefined;
  const apis = apisSignedAs(signingName);
  const named = apis.find((a) => names(a, hints));
  // Past the check above, what the request names is not the served API.
  if (served) return named;
  return named ?? apis[0] ?? { id: signingName, name: signingName, protocols: [] };
}

/** The unserved API an unsigned request names by its X-Amz-Target, if any. */
export function unservedByTarget(target: string, services: readonly Service[]): UnservedService | undefined {
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const prefix = target.slice(0, dot);
  if ( services.some((s) => s.model.metadata.targetPrefix === prefix)) return undefined;
  for (const apis of bySigningName().values()) {
    const api = apis.find((a) => a.targetPrefix === prefix);
    if (api) return api;
  }
  return undefined;
}

type Wire = 'cbor' | 'json' | 'query' | 'rest-json' | 'rest-xml';

/** The protocol to answer in: the one the request is in, else the one AWS CLI would speak to the service. */
function wireOf(api: UnservedService, req: WireRequest, hints: ApiHints): Wire {
  if (req.headers['smithy-protocol'] === 'rpc-v2-cbor') return 'cbor';
  if (hints.target) return 'json';
  if (hints.action) return 'query';
  // botocore's order of preference; ec2 is a Query protocol.
  for (const p of ['json', 'rest-json', 'rest-xml', 'smithy-rpc-v2-cbor', 'query', 'ec2']) {
    if (api.protocols.includes(p)) return p === 'ec2' ? 'query' : p === 'smithy-rpc-v2-cbor' ? 'cbor' : (p as Wire);
  }
  return 'rest-json';
}

export function refuseUnserved(api: UnservedService, req: WireRequest, hints: ApiHints, services: readonly Service[], requestId: string): WireResponse {
  const offered = services.map((s) => s.model.metadata.serviceId ?? s.signingName);
  const message = `faultline does not offer ${api.name} (${api.id}); it serves ${offered.slice(0, -1).join(', ')} and ${offered.at(-1)}.`;
  const wire = wireOf(api, req, hints);
  const code = wire === 'query' ? 'InvalidAction' : 'UnknownOperationException';
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  let body: string | Buffer;
  switch (wire) {
    case 'cbor':
      headers['smithy-protocol'] = 'rpc-v2-cbor';
      headers['content-type'] = 'application/cbor';
      body = cborTextMap({ __type: code, message });
      break;
    case 'json':
    case 'rest-json':
      headers['content-type'] = wire === 'json' ? `application/x-amz-json-${api.jsonVersion ?? '1.0'}` : 'application/json';
      headers['x-amzn-errortype'] = code;
      body = JSON.stringify(wire === 'json' ? { __type: code, message } : { message });
      break;
    default: {
      headers['content-type'] = wire === 'query' ? 'text/xml' : 'application/xml';
      const error = element('Error', element('Type', 'Sender') + element('Code', code) + element('Message', escapeXml(message)));
      body = XML_DECL + element('ErrorResponse', error + element('RequestId', requestId));
    }
  }
  return { status: 400, headers, body: req.method.toUpperCase() === 'HEAD' ? '' : body };
}

/** A CBOR map of text strings (RFC 8949): all an RPCv2 CBOR error body needs. */
function cborTextMap(map: Record<string, string>): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  const text = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    return [head(3, bytes.length), bytes];
  };
  const entries = Object.entries(map);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [...text(k), ...text(v)])]);
}
