/**
 * An AWS API call made as a user makes it: an HTTP request to faultline's own endpoint, in the
 * service's wire protocol, with a SigV4 credential scope naming the service and region, answered
 * by the same gateway, protocols and handlers as the AWS CLI's calls. Drills use it for their
 * setup and their `aws` probes, so that what a drill sees is what a user would see.
 *
 * The services drills reach speak the Query protocols (EC2, Auto Scaling, CloudWatch,
 * CloudFormation, IAM, STS, SNS): the input is written as `A.B.1=...` form parameters, the
 * inverse of protocols/query.ts, and the XML answer read back into the output shape with the
 * model, as botocore does.
 */
import type { ShapeRef, ServiceModel } from '../protocols/model.ts';
import { parseXml, decodeXml } from '../protocols/xml-read.ts';
import { scalarText } from '../protocols/query.ts';
import { own } from '../core/own.ts';
import { AwsError } from '../core/errors.ts';
import { services } from '../services/index.ts';
import type { Service } from '../services/service.ts';

export interface AwsCall {
  service: string;
  operation: string;
  parameters?: Record<string, unknown>;
}

/**
 * The services by the name a drill gives them, the AWS CLI's command: the signing name, but
 * `cloudwatch` for `monitoring`, and `elb`/`elbv2` for the two APIs that sign as
 * `elasticloadbalancing` (told apart by their Version).
 */
const QUERY_SERVICES = new Map(
  services
    .filter((s) => s.protocols.some((p) => p.name === 'query' || p.name === 'ec2'))
    .map((s) => [cliName(s), s]),
);

function cliName(s: Service): string {
  if (s.signingName === 'monitoring') return 'cloudwatch';
  if (s.signingName === 'elasticloadbalancing') return s.model.metadata.apiVersion === '2015-12-01' ? 'elbv2' : 'elb';
  return s.signingName;
}

/** The service a drill names (`ec2`, `autoscaling`, `cloudwatch`, `elb`, ...), or undefined. */
const queryService = (name: string): Service | undefined => QUERY_SERVICES.get(name);

const queryServiceNames = (): string[] => [...QUERY_SERVICES.keys()];

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Writes `value` of shape `ref` as form parameters under `prefix`, as the SDKs do. */
function encode(model: ServiceModel, ec2: boolean, ref: ShapeRef, value: unknown, prefix: string, out: URLSearchParams): void {
  if (value === undefined || value === null) return;
  const shape = model.shapes[ref.shape];
  const join = (name: string) => (prefix ? `${prefix}.${name}` : name);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('InvalidParameter', `${prefix || 'the input'} must be an object`, 400);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const m = own(shape.members ?? {}, k);
        if (!m) throw new AwsError('InvalidParameter', `${prefix ? prefix + '.' : ''}${k} is not a parameter of ${ref.shape}`, 400);
        const wire = ec2 ? (m.queryName ?? (m.locationName ? capitalize(m.locationName) : k)) : (m.locationName ?? k);
        encode(model, ec2, m, v, join(wire), out);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new AwsError('InvalidParameter', `${prefix} must be a list`, 400);
      const base = ec2 || ref.flattened || shape.flattened ? prefix : `${prefix}.${shape.member!.locationName ?? 'member'}`;
      if (!value.length && !ec2) out.append(prefix, '');
      value.forEach((v, i) => encode(model, ec2, shape.member!, v, `${base}.${i + 1}`, out));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('InvalidParameter', `${prefix} must be a map`, 400);
      const base = ref.flattened || shape.flattened ? prefix : `${prefix}.entry`;
      Object.entries(value as Record<string, unknown>).forEach(([k, v], i) => {
        out.append(`${base}.${i + 1}.${shape.key!.locationName ?? 'key'}`, k);
        encode(model, ec2, shape.value!, v, `${base}.${i + 1}.${shape.value!.locationName ?? 'value'}`, out);
      });
      return;
    }
    default:
      out.append(prefix, typeof value === 'string' ? value : scalarText(shape, value));
  }
}

/** An error answer as an AwsError: Query's <ErrorResponse><Error>, or EC2's <Response><Errors><Error>. */
function answerError(text: string, status: number): AwsError {
  type Node = Record<string, unknown> | undefined;
  const root = parseXml(text, { ownAnswer: true })?.node as Node;
  const error = ((root?.Errors as Node)?.Error ?? root?.Error) as Node | Node[];
  const first = (Array.isArray(error) ? error[0] : error) ?? {};
  const field = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return new AwsError(field(first.Code) ?? `HTTP${status}`, field(first.Message) ?? text.slice(0, 200), status);
}

/**
 * Calls `operation` of `service` through the endpoint at `endpoint` in `region`; resolves with
 * the output as the SDKs give it (model member names, numbers, booleans, ISO timestamps).
 */
export async function callAws(endpoint: string, region: string, call: AwsCall, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const service = queryService(call.service);
  if (!service) throw new AwsError('InvalidParameter', `service ${call.service} is not one a drill can call (${queryServiceNames().join(', ')})`, 400);
  const model = service.model;
  const op = own(model.operations, call.operation);
  if (!op) throw new AwsError('InvalidAction', `${call.service} has no operation ${call.operation}`, 400);
  const ec2 = service.protocols[0].name === 'ec2';
  const form = new URLSearchParams({ Action: call.operation, Version: model.metadata.apiVersion });
  if (op.input) encode(model, ec2, op.input, call.parameters ?? {}, '', form);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20200101/${region}/${service.signingName}/aws4_request, SignedHeaders=host, Signature=faultline-drill`,
    },
    body: form.toString(),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status >= 300) throw answerError(text, res.status);
  if (!op.output) return {};
  const doc = parseXml(text, { ownAnswer: true });
  if (!doc) throw new AwsError('InvalidResponse', `the answer to ${call.operation} is not XML`, res.status);
  const node = !ec2 && op.output.resultWrapper && typeof doc.node === 'object' ? doc.node[op.output.resultWrapper] : doc.node;
  const invalid = (message: string) => new AwsError('InvalidResponse', message, res.status);
  // Plain JSON, as the SDKs' JSON view gives it: timestamps as ISO strings, for JMESPath to compare.
  return JSON.parse(JSON.stringify(decodeXml(model, op.output, node as never, call.operation, invalid) ?? {}));
}
