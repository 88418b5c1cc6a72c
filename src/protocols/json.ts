/**
 * awsJson1_0 (and 1_1): the operation is named by `X-Amz-Target: <targetPrefix>.<Operation>`,
 * the input is a JSON object shaped like the operation's input, and the output and errors are
 * JSON. Used by CloudWatch for the AWS CLI, boto3 and the SDK v3.
 *
 * Input checking follows AWS's JSON front ends: a value of the wrong JSON type is a
 * SerializationException (the body could not be read into the shape), while a missing required
 * member or a violated constraint is a validation error. For services that are
 * awsQueryCompatible (CloudWatch), validation errors use the Query protocol's code
 * (ValidationError) and every error carries `x-amzn-query-error: <Code>;<Sender|Receiver>`, so
 * that clients map it to the code the Query protocol would have given.
 */
import { AwsError, errors } from '../core/errors.ts';
import type { Shape, ShapeRef, ServiceModel } from './model.ts';
import type { Protocol, WireRequest, WireResponse, ParsedRequest } from './protocol.ts';
import { checkConstraints, parseTimestamp } from './values.ts';
import { own, setOwn } from '../core/own.ts';

const serialization = (message: string) => new AwsError('SerializationException', message, 400);

/** The models' lists and maps are not sparse: a null inside one cannot be read into the shape, as AWS's JSON front ends say. */
const notNull = (v: unknown, path: string): unknown => {
  if (v === null) throw serialization(`Null value in a list or map is not allowed (at ${path})`);
  return v;
};

/** Java-style type names, as AWS's JSON front ends name them in their messages. */
const JSON_KIND = (v: unknown): string =>
  v === null
    ? 'VALUE_NULL'
    : Array.isArray(v)
      ? 'START_ARRAY'
      : typeof v === 'object'
        ? 'START_OBJECT'
        : typeof v === 'string'
          ? 'VALUE_STRING'
          : typeof v === 'boolean'
            ? v
              ? 'VALUE_TRUE'
              : 'VALUE_FALSE'
            : Number.isInteger(v)
              ? 'VALUE_NUMBER_INT'
              : 'VALUE_NUMBER_FLOAT';

const TARGET_TYPE: Record<string, string> = {
  structure: 'a structure',
  list: 'a list',
  map: 'a map',
  string: 'a String',
  integer: 'an Integer',
  long: 'a Long',
  double: 'a Double',
  float: 'a Float',
  boolean: 'a Boolean',
  timestamp: 'a Timestamp',
  blob: 'a Blob',
};

export class JsonProtocol implements Protocol {
  readonly name = 'json';

  parse(req: WireRequest, model: ServiceModel): ParsedRequest {
    const target = req.headers['x-amz-target'] ?? '';
    const prefix = model.metadata.targetPrefix ?? '';
    const dot = target.lastIndexOf('.');
    const operation = dot >= 0 && target.slice(0, dot) === prefix ? target.slice(dot + 1) : '';
    const op = operation ? own(model.operations, operation) : undefined;
    if (!op) throw new AwsError('UnknownOperationException', `The operation ${target || '(none)'} is not known to this service.`, 400);
    if (req.method !== 'POST') throw serialization(`awsJson requests must be POST, not ${req.method}.`);
    const text = req.body.toString('utf8');
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw serialization(`The request body is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw serialization(`Start of structure or map expected; found ${JSON_KIND(body)}.`);
    const input = op.input ? ((decodeJson(model, op.input, body, '') as Record<string, unknown>) ?? {}) : {};
    if (op.input) {
      const err = checkConstraints(model, op.input, input, '');
      if (err) throw this.validation(model, err);
    }
    return { operation, input };
  }

  private validation(model: ServiceModel, message: string): AwsError {
    return model.metadata.awsQueryCompatible ? errors.validation(message) : new AwsError('ValidationException', message, 400);
  }

  serialize(model: ServiceModel, operation: string, output: unknown, requestId: string): WireResponse {
    const op = model.operations[operation];
    const body = op.output ? encodeJson(model, op.output, output ?? {}) : {};
    return { status: 200, headers: this.headers(model, requestId), body: JSON.stringify(body ?? {}) };
  }

  serializeError(model: ServiceModel, error: AwsError, requestId: string): WireResponse {
    const headers = this.headers(model, requestId);
    if (model.metadata.awsQueryCompatible) headers['x-amzn-query-error'] = `${error.code};${error.sender ? 'Sender' : 'Receiver'}`;
    const body = { __type: errorType(model, error.code), message: error.message };
    return { status: error.status, headers, body: JSON.stringify(body) };
  }

  private headers(model: ServiceModel, requestId: string): Record<string, string> {
    return { 'content-type': `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`, 'x-amzn-requestid': requestId };
  }
}

const typeCache = new WeakMap<ServiceModel, Map<string, string>>();

/** The modelled error shape whose Query code is `code` (InvalidParameterValue → InvalidParameterValueException), else the code. */
function errorType(model: ServiceModel, code: string): string {
  let byCode = typeCache.get(model);
  if (!byCode) {
    byCode = new Map();
    for (const [name, shape] of Object.entries(model.shapes)) {
      if (shape.exception) byCode.set(shape.error?.code ?? name, name);
    }
    typeCache.set(model, byCode);
  }
  return byCode.get(code) ?? code;
}

/** Reads one JSON value into the shape `ref` names; `path` is for messages. */
export function decodeJson(model: ServiceModel, ref: ShapeRef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[ref.shape];
  const wrong = (): never => {
    throw serialization(`${JSON_KIND(value)} can not be converted to ${TARGET_TYPE[shape.type] ?? shape.type}${path ? ` (at ${path})` : ''}`);
  };
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return wrong();
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        const v = decodeJson(model, mref, obj[m], path ? `${path}.${m}` : m);
        if (v !== undefined) out[m] = v;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) return wrong();
      return value.map((v, i) => decodeJson(model, shape.member!, notNull(v, `${path}[${i}]`), `${path}[${i}]`));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return wrong();
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, decodeJson(model, shape.value!, notNull(v, `${path}.${k}`), `${path}.${k}`));
      return out;
    }
    case 'string':
      return typeof value === 'string' ? value : wrong();
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return wrong();
      if (!Number.isSafeInteger(value)) throw serialization(`Numeric value (${value}) out of range${path ? ` (at ${path})` : ''}`);
      return value;
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      // Smithy's JSON protocols send the non-finite values as strings.
      if (value === 'NaN') return NaN;
      if (value === 'Infinity') return Infinity;
      if (value === '-Infinity') return -Infinity;
      return wrong();
    case 'boolean':
      return typeof value === 'boolean' ? value : wrong();
    case 'timestamp':
      if (typeof value !== 'number' && typeof value !== 'string') return wrong();
      return parseTimestamp(value, path, (m) => serialization(m));
    case 'blob':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return wrong();
      return Buffer.from(value, 'base64');
    default:
      return wrong();
  }
}

/** Writes one value of the shape `ref` names as JSON (timestamps as epoch seconds, blobs as base64). */
export function encodeJson(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const shape: Shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const [m, mref] of Object.entries(shape.members ?? {})) {
        const v = encodeJson(model, mref, obj[m]);
        if (v !== undefined) out[m] = v;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((v) => encodeJson(model, shape.member!, v) ?? null);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, encodeJson(model, shape.value!, v) ?? null);
      return out;
    }
    case 'timestamp':
      return new Date(value as Date | string | number).getTime() / 1000;
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value)).toString('base64');
    case 'double':
    case 'float': {
      const n = Number(value);
      return Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : n;
    }
    case 'integer':
    case 'long':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    default:
      return String(value);
  }
}
