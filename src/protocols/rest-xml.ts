/**
 * The REST-XML protocol (S3, and the shape Route 53 and CloudFront also speak), driven by the
 * model: the operation comes from the method and the `requestUri` template; inputs are bound
 * from the URI labels, the query string, headers (`x-amz-meta-*` maps by prefix) and the payload
 * (a raw blob, or an XML document); outputs go back the same way, and errors as `<Error>`
 * documents (or none at all for HEAD, whose responses have no body).
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../core/errors.ts';
import type { Shape, ShapeRef, ServiceModel } from './model.ts';
import type { ParsedRequest, Protocol, WireRequest, WireResponse } from './protocol.ts';
import { decodeAwsChunked, isAwsChunked } from './aws-chunked.ts';
import { matchRoute } from './rest-route.ts';
import { checkConstraints, headerValue, isoTime, parseScalar, queryValue, type Invalid } from './values.ts';
import { element, escapeXml, XML_DECL } from './xml.ts';
import { setOwn } from '../core/own.ts';
import { decodeXml, memberElementName, parseXml } from './xml-read.ts';

/** A handler sets this on its output for a status the model cannot say (206 for a byte range). */
export const HTTP_STATUS = Symbol.for('faultline.httpStatus');

/** An error may carry extra elements for its `<Error>` document (S3's BucketName, Key). */
export interface ErrorDetails {
  details?: Record<string, string>;
}

export interface RestXmlOptions {
  /** The namespace of XML documents when the model does not give one (S3's does not). */
  xmlNamespace?: string;
  /** The root element of output documents, by output shape name; botocore's models omit it. */
  rootElements?: Record<string, string>;
  /** Output shapes whose whole document is one member's value as the root's text, by that member's name. */
  valueRoots?: Record<string, string>;
  /** Query keys that select another resource (S3's `?acl`); only a template naming one matches it. */
  subresources?: readonly string[];
  /** S3 writes `<Error>` alone; the others wrap it in `<ErrorResponse>`. */
  bareErrors?: boolean;
  /**
   * Route 53 checks inputs against the model's constraints (lengths, ranges, enums) and names a
   * bad one with this code (`InvalidInput`); S3 checks none of them and says `InvalidArgument`.
   */
  inputErrorCode?: string;
}

type Headers = Record<string, string | undefined>;

const invalidWith = (code: string): Invalid => (message) => new AwsError(code, message, 400);

const malformedXml = () =>
  new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);

/**
 * Header values are bytes, which Node reads as latin-1: values that came in as headers go back
 * unchanged, and text beyond latin-1 goes out as its UTF-8 bytes. Control characters cannot be sent.
 */
const headerSafe = (s: string) => {
  const clean = s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
  return /[^\x00-\xff]/.test(clean) ? Buffer.from(clean, 'utf8').toString('latin1') : clean;
};

export class RestXmlProtocol implements Protocol {
  readonly name = 'rest-xml';
  private subresources: ReadonlySet<string>;
  private invalid: Invalid;

  constructor(private opts: RestXmlOptions = {}) {
    this.subresources = new Set(opts.subresources ?? []);
    this.invalid = invalidWith(opts.inputErrorCode ?? 'InvalidArgument');
  }

  parse(req: WireRequest, model: ServiceModel): ParsedRequest {
    const route = matchRoute(model, req.method.toUpperCase(), req.rawPath, req.query, this.subresources);
    if ('kind' in route) throw routeError(route.kind, req);
    const op = model.operations[route.operation];
    if (!op.input) return { operation: route.operation, input: {} };
    const shape = model.shapes[op.input.shape];
    let headers: Headers = req.headers;
    let body = req.body;
    if (isAwsChunked(headers)) {
      const un = decodeAwsChunked(body);
      body = un.body;
      const declared = headers['x-amz-decoded-content-length'];
      if (declared !== undefined && Number(declared) !== body.length)
        throw new AwsError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', 400);
      const encoding = (headers['content-encoding'] ?? '').split(',').map((e) => e.trim()).filter((e) => e && e !== 'aws-chunked').join(',');
      headers = { ...headers, ...un.trailers, 'content-encoding': encoding || undefined };
    }
    const invalid = this.invalid;
    const input: Record<string, unknown> = {};
    const bound = new Set<string>();
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      const wire = mref.locationName ?? m;
      const mshape = model.shapes[mref.shape];
      let v: unknown;
      switch (mref.location) {
        case 'uri':
          v = route.labels[wire] === undefined ? undefined : parseScalar(mshape, route.labels[wire], m, invalid);
          break;
        case 'querystring':
          if (mshape.type === 'map') continue; // bound last, from what no other member claims
          bound.add(wire);
          v = queryValue(model, mshape, req.query, wire, m, invalid);
          break;
        case 'header':
          v = headerValue(model, mshape, headers[wire.toLowerCase()], m, invalid);
          break;
        case 'headers':
          v = prefixedHeaders(headers, wire.toLowerCase());
          break;
        default: // the body, bound below; statusCode is output only
          continue;
      }
      if (v !== undefined) input[m] = v;
    }
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      if (mref.location !== 'querystring' || model.shapes[mref.shape].type !== 'map') continue;
      const rest: Record<string, string> = {};
      for (const [k, val] of req.query) if (!bound.has(k)) setOwn(rest, k, val);
      if (Object.keys(rest).length) input[m] = rest;
    }
    this.bindBody(model, op.input, body, headers, input);
    for (const r of shape.required ?? []) {
      if (input[r] !== undefined) continue;
      if (shape.payload === r && model.shapes[shape.members![r].shape].type === 'structure') throw malformedXml();
      throw invalid(`Missing required parameter ${shape.members![r].locationName ?? r}.`);
    }
    const unfit = this.opts.inputErrorCode ? checkConstraints(model, op.input, input, '') : undefined;
    if (unfit) throw invalid(unfit);
    return { operation: route.operation, input };
  }

  private bindBody(model: ServiceModel, ref: ShapeRef, body: Buffer, headers: Headers, input: Record<string, unknown>): void {
    const shape = model.shapes[ref.shape];
    if (shape.payload) {
      const pref = shape.members![shape.payload];
      const pshape = model.shapes[pref.shape];
      if (pshape.type === 'blob') input[shape.payload] = body;
      else if (pshape.type === 'string') input[shape.payload] = body.toString('utf8');
      else if (body.length) {
        const doc = parseXml(body.toString('utf8'));
        if (!doc) throw malformedXml();
        input[shape.payload] = decodeXml(model, pref, doc.node, shape.payload, this.invalid);
      }
      return;
    }
    const hasBodyMembers = Object.values(shape.members ?? {}).some((r) => !r.location);
    if (!hasBodyMembers || !body.length || !(headers['content-type'] ?? 'xml').includes('xml')) return;
    const doc = parseXml(body.toString('utf8'));
    if (!doc) throw malformedXml();
    Object.assign(input, decodeXml(model, ref, doc.node, '', this.invalid));
  }

  serialize(model: ServiceModel, operation: string, output: unknown, requestId: string, req: WireRequest): WireResponse {
    const op = model.operations[operation];
    const out = (output ?? {}) as Record<string, unknown> & { [HTTP_STATUS]?: number };
    let status = out[HTTP_STATUS] ?? op.http.responseCode ?? 200;
    const headers: Record<string, string> = this.baseHeaders(requestId);
    let body: string | Buffer = '';
    if (op.output) {
      const shape = model.shapes[op.output.shape];
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        const v = out[m];
        if (v === undefined || v === null) continue;
        const wire = mref.locationName ?? m;
        if (mref.location === 'header') headers[wire.toLowerCase()] = headerSafe(headerText(model.shapes[mref.shape], v));
        else if (mref.location === 'headers') {
          for (const [k, hv] of Object.entries(v as Record<string, string>)) headers[(wire + k).toLowerCase()] = headerSafe(String(hv));
        } else if (mref.location === 'statusCode') status = Number(v);
      }
      if (shape.payload) {
        const pref = shape.members![shape.payload];
        const pshape = model.shapes[pref.shape];
        const v = out[shape.payload];
        if (pshape.type === 'blob' || pshape.type === 'string') body = v === undefined || v === null ? '' : Buffer.isBuffer(v) ? v : String(v);
        else if (v !== undefined && v !== null) {
          body = XML_DECL + this.write(model, pref, v, pref.locationName ?? shape.payload, this.nsAttr(pref, pshape));
          headers['content-type'] ??= 'application/xml';
        }
      } else if (this.opts.valueRoots?.[op.output.shape]) {
        const member = this.opts.valueRoots[op.output.shape];
        const v = out[member];
        const text = v === undefined || v === null ? '' : this.scalar(model.shapes[shape.members![member].shape], v);
        body = XML_DECL + element(member, text, this.nsAttr(undefined, shape));
        headers['content-type'] = 'application/xml';
      } else if (Object.values(shape.members ?? {}).some((r) => !r.location)) {
        const root = this.opts.rootElements?.[op.output.shape] ?? shape.locationName ?? op.output.shape;
        body = XML_DECL + element(root, this.members(model, shape, out), this.nsAttr(undefined, shape));
        headers['content-type'] = 'application/xml';
      }
    }
    if (req.method.toUpperCase() === 'HEAD' || status === 204 || status === 304) body = '';
    return { status, headers, body };
  }

  serializeError(model: ServiceModel, error: AwsError, requestId: string, req: WireRequest): WireResponse {
    const headers = this.baseHeaders(requestId);
    if (req.method.toUpperCase() === 'HEAD' || error.status === 304) return { status: error.status, headers, body: '' };
    let inner = element('Code', escapeXml(error.code)) + element('Message', escapeXml(error.message));
    for (const [k, v] of Object.entries((error as AwsError & ErrorDetails).details ?? {})) inner += element(k, escapeXml(v));
    let xml: string;
    if (this.opts.bareErrors) xml = element('Error', inner + element('RequestId', requestId) + element('HostId', headers['x-amz-id-2']));
    else {
      const type = element('Type', error.sender ? 'Sender' : 'Receiver');
      xml = element('ErrorResponse', element('Error', type + inner) + element('RequestId', requestId), this.nsAttr(undefined, undefined));
    }
    headers['content-type'] = 'application/xml';
    return { status: error.status, headers, body: XML_DECL + xml };
  }

  private baseHeaders(requestId: string): Record<string, string> {
    return { 'x-amz-request-id': requestId, 'x-amz-id-2': randomBytes(24).toString('base64') };
  }

  private nsAttr(ref: ShapeRef | undefined, shape: Shape | undefined): string {
    const ns = ref?.xmlNamespace?.uri ?? shape?.xmlNamespace?.uri ?? this.opts.xmlNamespace;
    return ns ? ` xmlns="${escapeXml(ns)}"` : '';
  }

  private members(model: ServiceModel, shape: Shape, value: Record<string, unknown>): string {
    let out = '';
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      const v = value[m];
      if (v === undefined || v === null || mref.location || mref.xmlAttribute) continue;
      out += this.write(model, mref, v, mref.locationName ?? m);
    }
    return out;
  }

  private attributes(model: ServiceModel, shape: Shape, value: Record<string, unknown>): string {
    let out = '';
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      const v = value[m];
      if (mref.xmlAttribute && v !== undefined && v !== null) out += ` ${mref.locationName ?? m}="${this.scalar(model.shapes[mref.shape], v)}"`;
    }
    return out;
  }

  private write(model: ServiceModel, ref: ShapeRef, value: unknown, name: string, attrs = ''): string {
    const shape = model.shapes[ref.shape];
    switch (shape.type) {
      case 'structure': {
        const v = value as Record<string, unknown>;
        return element(name, this.members(model, shape, v), attrs + this.attributes(model, shape, v));
      }
      case 'list': {
        const items = value as unknown[];
        if (ref.flattened || shape.flattened) {
          const itemName = memberElementName(model, name, ref);
          return items.map((it) => this.write(model, shape.member!, it, itemName)).join('');
        }
        const itemName = shape.member!.locationName ?? 'member';
        return element(name, items.map((it) => this.write(model, shape.member!, it, itemName)).join(''), attrs);
      }
      case 'map': {
        const k = shape.key!.locationName ?? 'key';
        const vName = shape.value!.locationName ?? 'value';
        const entries = Object.entries(value as Record<string, unknown>).map(
          ([ek, ev]) => element('entry', element(k, escapeXml(ek)) + this.write(model, shape.value!, ev, vName)),
        );
        return ref.flattened || shape.flattened ? entries.join('') : element(name, entries.join(''), attrs);
      }
      default:
        return element(name, this.scalar(shape, value), attrs);
    }
  }

  private scalar(shape: Shape, value: unknown): string {
    switch (shape.type) {
      case 'timestamp':
        return timestampText(shape.timestampFormat ?? 'iso8601', value);
      case 'blob':
        return (Buffer.isBuffer(value) ? value : Buffer.from(String(value))).toString('base64');
      case 'boolean':
        return value ? 'true' : 'false';
      default:
        return escapeXml(String(value));
    }
  }
}

function routeError(kind: 'method' | 'unsupported' | 'uri', req: WireRequest): AwsError {
  if (kind === 'uri') return new AwsError('InvalidURI', "Couldn't parse the specified URI.", 400);
  const segments = req.rawPath.split('/').filter(Boolean).length;
  const resourceType = segments === 0 ? 'SERVICE' : segments === 1 ? 'BUCKET' : 'OBJECT';
  const err =
    kind === 'method'
      ? new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405)
      : new AwsError('NotImplemented', 'A header or sub-resource you provided implies functionality that faultline does not implement in S3', 501, false);
  (err as AwsError & ErrorDetails).details = kind === 'method' ? { Method: req.method.toUpperCase(), ResourceType: resourceType } : {};
  return err;
}

function timestampText(format: string, value: unknown): string {
  const d = new Date(value as string | number | Date);
  if (format === 'rfc822') return d.toUTCString();
  if (format === 'unixTimestamp') return String(Math.floor(d.getTime() / 1000));
  return isoTime(d);
}

function headerText(shape: Shape, value: unknown): string {
  if (shape.type === 'timestamp') return timestampText(shape.timestampFormat ?? 'rfc822', value);
  if (shape.type === 'list') return (value as unknown[]).map(String).join(',');
  if (shape.type === 'boolean') return value ? 'true' : 'false';
  if (shape.type === 'blob') return (Buffer.isBuffer(value) ? value : Buffer.from(String(value))).toString('base64');
  return String(value);
}

function prefixedHeaders(headers: Headers, prefix: string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && k.startsWith(prefix)) setOwn((out ??= {}), k.slice(prefix.length), v);
  }
  return out;
}
