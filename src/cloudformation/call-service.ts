/**
 * How resource handlers reach a service: through its own operation handler, with the input
 * converted to the types its model declares (templates write numbers and booleans as strings)
 * and checked against the model's constraints, as the protocol layer would for a request.
 */
import { AwsError, errors } from '../core/errors.ts';
import type { ShapeRef, ServiceModel } from '../protocols/model.ts';
import { checkConstraints } from '../protocols/values.ts';
import type { RequestContext, Service } from '../services/service.ts';

/** A service's error as CloudFormation reports it in a resource's status reason. */
export class ServiceCallError extends AwsError {
  constructor(
    readonly cause: AwsError,
    readonly serviceName: string,
    readonly requestId: string,
  ) {
    super(cause.code, `${cause.message} (Service: ${serviceName}; Status Code: ${cause.status}; Error Code: ${cause.code}; Request ID: ${requestId})`, cause.status, cause.sender);
  }
}

function coerce(model: ServiceModel, ref: ShapeRef, value: unknown, path: string): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = model.shapes[ref.shape];
  const bad = (what: string) => errors.validation(`Value ${JSON.stringify(value)} at '${path}' is not ${what}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('an object');
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const m = shape.members?.[k];
        if (!m) throw new Error(`faultline bug: ${k} is not a member of ${ref.shape}`);
        const c = coerce(model, m, v, `${path}.${k}`);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) throw bad('a list');
      return value.map((v, i) => coerce(model, shape.member!, v, `${path}.${i + 1}`));
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('a map');
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerce(model, shape.value!, v, `${path}.${k}`)]));
    }
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw bad('a string');
    case 'integer':
    case 'long': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('an integer');
      return n;
    }
    case 'double':
    case 'float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('a boolean');
    case 'timestamp': {
      const d = new Date(value as string);
      if (Number.isNaN(d.getTime())) throw bad('a timestamp');
      return d;
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    default:
      return value;
  }
}

/**
 * Calls `service`'s operation `op` in the stack's account and region (a global service's records
 * live under region `global`). Errors come back as ServiceCallError, naming the service.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function callService(service: Service, op: string, input: Record<string, unknown>, ctx: RequestContext): any {
  const model = service.model;
  const operation = model.operations[op];
  const handler = service.handlers[op];
  if (!operation || !handler) throw new Error(`faultline bug: ${service.signingName} has no operation ${op}`);
  const request = service.global ? { ...ctx, region: 'global' } : ctx;
  const name = (model.metadata as { serviceId?: string }).serviceId ?? service.signingName;
  try {
    const coerced = operation.input ? (coerce(model, operation.input, input, op) as Record<string, unknown>) : {};
    const err = operation.input && checkConstraints(model, operation.input, coerced, '');
    if (err) throw errors.validation(err);
    return handler(coerced, request);
  } catch (e) {
    if (e instanceof AwsError && !(e instanceof ServiceCallError)) throw new ServiceCallError(e, name, ctx.requestId);
    throw e;
  }
}
