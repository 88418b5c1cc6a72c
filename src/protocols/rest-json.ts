/**
 * restJson1 (AWS FIS, and the shape most newer AWS APIs speak), driven by the model: the
 * operation comes from the method and the `requestUri` template; inputs are bound from the URI
 * labels, the query string, headers and a JSON body of the members that have no location;
 * outputs go back the same way. Errors are `{"message": ...}` with the error's name in the
 * `x-amzn-ErrorType` header (which SDKs read first) and the status the model gives the error.
 */
import { AwsError } from '../core/errors.ts';
import { setOwn } from '../core/own.ts';
import { decodeJson, encodeJson } from './json.ts';
import type { Shape, ServiceModel } from './model.ts';
import type { ParsedRequest, Protocol, WireRequest, WireResponse } from './protocol.ts';
import { matchRoute } from './rest-route.ts';
import { checkConstraints, headerValue, parseScalar, queryValue, type Invalid } from './values.ts';

const validation: Invalid = (message) => new AwsError('ValidationException', message, 400);
const serialization = (message: string) => new AwsError('SerializationException', message, 400);
const NO_SUBRESOURCES: ReadonlySet<string> = new Set();

export class RestJsonProtocol implements Protocol {
  readonly name = 'rest-json';

  parse(req: WireRequest, model: ServiceModel): ParsedRequest {
    const route = matchRoute(model, req.method.toUpperCase(), req.rawPath, req.query, NO_SUBRESOURCES);
    if ('kind' in route) {
      if (route.kind === 'method') throw new AwsError('MethodNotAllowedException', `The method ${req.method.toUpperCase()} is not allowed on ${req.path}.`, 405);
      throw new AwsError('UnknownOperationException', `No operation of this service answers ${req.method.toUpperCase()} ${req.path}.`, 404);
    }
    const op = model.operations[route.operation];
    if (!op.input) return { operation: route.operation, input: {} };
    const shape = model.shapes[op.input.shape];
    const input: Record<string, unknown> = {};
    let bodyMembers = false;
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      const wire = mref.locationName ?? m;
      const mshape = model.shapes[mref.shape];
      let v: unknown;
      switch (mref.location) {
        case 'uri':
          v = route.labels[wire] === undefined ? undefined : parseScalar(mshape, route.labels[wire], m, validation);
          break;
        case 'querystring':
          v = queryValue(model, mshape, req.query, wire, m, validation);
          break;
        case 'header':
          v = headerValue(model, mshape, req.headers[wire.toLowerCase()], m, validation);
          break;
        default:
          bodyMembers = true;
          continue;
      }
      if (v !== undefined) input[m] = v;
    }
    if (bodyMembers) Object.assign(input, this.body(model, shape, req.body));
    const err = checkConstraints(model, op.input, input, '');
    if (err) throw validation(err);
    return { operation: route.operation, input };
  }

  /** The members carried in the JSON body; members bound elsewhere are not read from it. */
  private body(model: ServiceModel, shape: Shape, raw: Buffer): Record<string, unknown> {
    const text = raw.toString('utf8');
    if (text.trim() === '') return {};
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw serialization(`The request body is not valid JSON: ${(e as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw serialization('Start of structure or map expected.');
    const out: Record<string, unknown> = {};
    for (const [m, mref] of Object.entries(shape.members ?? {})) {
      if (mref.location) continue;
      const v = decodeJson(model, mref, (doc as Record<string, unknown>)[m], m);
      if (v !== undefined) out[m] = v;
    }
    return out;
  }

  serialize(model: ServiceModel, operation: string, output: unknown, requestId: string): WireResponse {
    const op = model.operations[operation];
    const headers = this.headers(requestId);
    let status = op.http.responseCode ?? 200;
    const body: Record<string, unknown> = {};
    if (op.output) {
      const out = (output ?? {}) as Record<string, unknown>;
      for (const [m, mref] of Object.entries(model.shapes[op.output.shape].members ?? {})) {
        const v = out[m];
        if (v === undefined || v === null) continue;
        if (mref.location === 'header') headers[(mref.locationName ?? m).toLowerCase()] = String(v);
        else if (mref.location === 'statusCode') status = Number(v);
        else if (!mref.location) setOwn(body, m, encodeJson(model, mref, v));
      }
    }
    return { status, headers, body: JSON.stringify(body) };
  }

  serializeError(_model: ServiceModel, error: AwsError, requestId: string): WireResponse {
    const headers = this.headers(requestId);
    headers['x-amzn-errortype'] = error.code;
    return { status: error.status, headers, body: JSON.stringify({ message: error.message }) };
  }

  private headers(requestId: string): Record<string, string> {
    return { 'content-type': 'application/json', 'x-amzn-requestid': requestId };
  }
}
